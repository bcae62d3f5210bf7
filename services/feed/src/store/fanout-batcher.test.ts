/** The fan-out group commit: a lone call goes at once; calls made meanwhile go together; errors reach their own batch only. */
import { describe, expect, test } from 'bun:test'
import { type FanOutItem, fanOutBatchArgs, fanOutBatcher } from './fanout-batcher.ts'

const item = (member: string, o: Partial<FanOutItem> = {}): FanOutItem => ({
  setKey: `followers:${member}`,
  prefix: 'home:',
  extra: [],
  score: 1,
  member,
  cap: 10,
  ...o,
})

/** A send that holds each batch until released, recording what it was given. */
function heldSend() {
  const batches: string[][] = []
  const releases: ((err?: Error) => void)[] = []
  const send = (items: FanOutItem[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(items.map((i) => i.member))
      releases.push((err) => (err ? reject(err) : resolve()))
    })
  return { send, batches, release: (n: number, err?: Error) => releases[n]!(err) }
}

describe('fanOutBatcher', () => {
  test('a lone call is sent at once; calls made while it is out go together as the next batch', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send)
    const first = fanOut(item('a'))
    expect(h.batches).toEqual([['a']])
    const later = [fanOut(item('b')), fanOut(item('c')), fanOut(item('d'))]
    expect(h.batches).toEqual([['a']])
    h.release(0)
    await first
    await Bun.sleep(0)
    expect(h.batches).toEqual([['a'], ['b', 'c', 'd']])
    h.release(1)
    await Promise.all(later)
  })

  test('batches hold at most maxBatch items, and items with another cap or prefix go in a batch of their own', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send, 2)
    const all = [
      fanOut(item('a')),
      fanOut(item('b')),
      fanOut(item('c', { cap: 5 })),
      fanOut(item('d')),
      fanOut(item('e')),
    ]
    for (let n = 0; n < 4; n++) {
      await Bun.sleep(0)
      h.release(n)
    }
    await Promise.all(all)
    expect(h.batches).toEqual([['a'], ['b', 'd'], ['c'], ['e']])
  })

  test('a failed batch rejects its own callers only, and the next batch still goes', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send)
    const first = fanOut(item('a'))
    const second = fanOut(item('b'))
    h.release(0, new Error('redis down'))
    await expect(first).rejects.toThrow('redis down')
    await Bun.sleep(0)
    h.release(1)
    await second
    expect(h.batches).toEqual([['a'], ['b']])
  })

  test('the script arguments list each post with its extra keys', () => {
    const { keys, args } = fanOutBatchArgs([
      item('a', { score: 5, extra: ['home:x'] }),
      item('b', { score: 6 }),
    ])
    expect(keys).toEqual(['followers:a', 'followers:b'])
    expect(args).toEqual(['home:', '10', '2', '5', 'a', '1', 'home:x', '6', 'b', '0'])
  })
})
