import { describe, expect, test } from 'bun:test'
import { runKeyOrdered } from './key-ordered.ts'

/** Work that takes a random few ms and logs start/end per item. */
function recorder() {
  const log: string[] = []
  let running = 0
  let peak = 0
  const work = async (item: { key: string; id: number }) => {
    running++
    peak = Math.max(peak, running)
    log.push(`start ${item.id}`)
    await Bun.sleep(1 + ((item.id * 7) % 5))
    log.push(`end ${item.id}`)
    running--
  }
  return { log, work, peak: () => peak }
}

const items = (keys: string[]) => keys.map((key, id) => ({ key, id }))

describe('runKeyOrdered', () => {
  test('same-key items never overlap and keep input order; others overlap up to the limit', async () => {
    const list = items(['a', 'b', 'a', 'c', 'b', 'a', 'd', 'c', 'a', 'b'])
    const r = recorder()
    await runKeyOrdered(list, { concurrency: 4, keyOf: (x) => x.key, work: r.work })
    expect(r.log.filter((l) => l.startsWith('end')).length).toBe(list.length)
    for (const key of ['a', 'b', 'c']) {
      const ids = list.filter((x) => x.key === key).map((x) => x.id)
      const events = r.log.filter((l) => ids.includes(Number(l.split(' ')[1])))
      // Strictly alternating start/end in input order: no overlap within a key.
      expect(events).toEqual(ids.flatMap((id) => [`start ${id}`, `end ${id}`]))
    }
    expect(r.peak()).toBeGreaterThan(1)
    expect(r.peak()).toBeLessThanOrEqual(4)
  })

  test('concurrency 1 runs strictly in input order', async () => {
    const list = items(['a', 'b', 'c', 'd'])
    const r = recorder()
    await runKeyOrdered(list, { concurrency: 1, keyOf: (x) => x.key, work: r.work })
    expect(r.log).toEqual(list.flatMap((x) => [`start ${x.id}`, `end ${x.id}`]))
  })

  test('the completed prefix only grows, and reaches the last item', async () => {
    const list = items(['a', 'b', 'c', 'd', 'e', 'f'])
    const prefixes: number[] = []
    await runKeyOrdered(list, {
      concurrency: 6,
      keyOf: (x) => x.key,
      // Later items finish first: the prefix must wait for item 0.
      work: (x) => Bun.sleep(12 - 2 * x.id),
      onPrefixDone: (i) => prefixes.push(i),
    })
    expect(prefixes).toEqual([5])
  })

  test('a failure stops new items, skips same-key successors, keeps the prefix before it, and rejects', async () => {
    const list = items(['a', 'b', 'a', 'c', 'd', 'e'])
    const ran: number[] = []
    const prefixes: number[] = []
    const run = runKeyOrdered(list, {
      concurrency: 3,
      keyOf: (x) => x.key,
      work: async (x) => {
        ran.push(x.id)
        await Bun.sleep(2)
        if (x.id === 0) throw new Error('boom')
      },
      onPrefixDone: (i) => prefixes.push(i),
    })
    await expect(run).rejects.toThrow('boom')
    expect(ran).not.toContain(2)
    expect(ran).not.toContain(5)
    expect(prefixes).toEqual([])
  })

  test('keyOf throwing stops the batch after running items settle', async () => {
    const finished: number[] = []
    const run = runKeyOrdered(items(['a', 'b', 'c']), {
      concurrency: 3,
      keyOf: (x) => {
        if (x.id === 2) throw new Error('no key')
        return x.key
      },
      work: async (x) => {
        await Bun.sleep(5)
        finished.push(x.id)
      },
    })
    await expect(run).rejects.toThrow('no key')
    expect(finished.sort()).toEqual([0, 1])
  })

  test('beforeEach throwing stops the batch after running items settle', async () => {
    let calls = 0
    const finished: number[] = []
    const run = runKeyOrdered(items(['a', 'b', 'c', 'd']), {
      concurrency: 4,
      keyOf: (x) => x.key,
      beforeEach: () => {
        if (++calls === 3) throw new Error('rebalancing')
      },
      work: async (x) => {
        await Bun.sleep(5)
        finished.push(x.id)
      },
    })
    await expect(run).rejects.toThrow('rebalancing')
    expect(finished.sort()).toEqual([0, 1])
  })
})
