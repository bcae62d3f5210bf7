/** Batched fan-out: the calls of one event-loop turn go together; batches do not wait for each other; errors reach their own batch only. */
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

/** One turn of the event loop (setImmediate runs after it). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('fanOutBatcher', () => {
  test('calls made in one turn go as one batch; a later turn sends its own without waiting for the first', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send)
    const first = [fanOut(item('a')), fanOut(item('b')), fanOut(item('c'))]
    expect(h.batches).toEqual([])
    await nextTurn()
    expect(h.batches).toEqual([['a', 'b', 'c']])
    const later = fanOut(item('d'))
    await nextTurn()
    // The first batch is still unanswered: the second went anyway.
    expect(h.batches).toEqual([['a', 'b', 'c'], ['d']])
    h.release(1)
    await later
    h.release(0)
    await Promise.all(first)
  })

  test('batches hold at most maxBatch items, and items with another cap or prefix go in a batch of their own', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send, 2)
    const all = [
      fanOut(item('a')),
      fanOut(item('b')),
      fanOut(item('c', { cap: 5 })),
      fanOut(item('d')),
      fanOut(item('e', { prefix: 'other:' })),
    ]
    await nextTurn()
    expect(h.batches).toEqual([['a', 'b'], ['d'], ['c'], ['e']])
    for (let n = 0; n < 4; n++) h.release(n)
    await Promise.all(all)
  })

  test('a failed batch rejects its own callers only', async () => {
    const h = heldSend()
    const fanOut = fanOutBatcher(h.send)
    const first = fanOut(item('a'))
    await nextTurn()
    const second = fanOut(item('b'))
    await nextTurn()
    h.release(0, new Error('redis down'))
    h.release(1)
    await expect(first).rejects.toThrow('redis down')
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
