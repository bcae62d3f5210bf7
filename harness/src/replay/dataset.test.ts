import { describe, expect, test } from 'bun:test'
import {
  dataSets,
  defaultDataDir,
  densestSubgraph,
  loadDataset,
  MissingDataSetError,
  parseEdges,
  parseHamTexts,
} from './dataset.ts'
import { planPosts, seededRandom } from './replay.ts'

describe('replay data', () => {
  test('edge lists: comments skipped, CRLF handled, undirected doubled, self-loops dropped, junk refused', () => {
    expect(parseEdges('# header\r\n1\t2\r\n2\t3\r\n3\t3\r\n', false)).toEqual([
      { follower: 1, followee: 2 },
      { follower: 2, followee: 3 },
    ])
    expect(parseEdges('1 2\n', true)).toEqual([
      { follower: 1, followee: 2 },
      { follower: 2, followee: 1 },
    ])
    expect(() => parseEdges('1\tx\n', false)).toThrow('line 1 is not an edge')
  })

  test('the densest subgraph keeps the highest-degree nodes and the edges among them', () => {
    const edges = parseEdges('1 2\n1 3\n1 4\n2 3\n5 6\n', false)
    const { nodes, edges: sub } = densestSubgraph(edges, 3)
    expect(nodes).toEqual([1, 2, 3])
    expect(sub).toEqual([
      { follower: 1, followee: 2 },
      { follower: 1, followee: 3 },
      { follower: 2, followee: 3 },
    ])
  })

  test('only ham texts are posts', () => {
    expect(parseHamTexts('ham\tHi there \nspam\tCALL 0900\nham\t\n')).toEqual(['Hi there'])
  })

  test('posts are drawn by follower count, each with a watching follower when there is one', () => {
    const followersOf = new Map([
      [1, [2, 3]],
      [2, [3]],
    ])
    const plan = planPosts(200, [1, 2], followersOf, new Set([3]), ['t'], seededRandom(7))
    const byAuthor = plan.filter((p) => p.author === 1).length
    // Weights 3:2 → about 120 of 200.
    expect(byAuthor).toBeGreaterThan(95)
    expect(byAuthor).toBeLessThan(145)
    expect(plan.every((p) => p.watcher === 3)).toBe(true)
    expect(
      planPosts(5, [1], followersOf, new Set(), ['t'], seededRandom(7))[0]!.watcher,
    ).toBeUndefined()
  })

  test('the real data sets parse to their documented sizes', async () => {
    if (!(await Bun.file(`${defaultDataDir}/soc-Epinions1.txt`).exists())) {
      console.warn(`SKIPPED: the shared data sets are not at ${defaultDataDir}`)
      return
    }
    const { edges, texts } = await loadDataset(defaultDataDir, 'epinions')
    expect(edges.length).toBe(508_837)
    expect(texts.length).toBe(4_827)
    const { nodes, edges: sub } = densestSubgraph(edges, 300)
    const chosen = new Set(nodes)
    expect(nodes).toHaveLength(300)
    expect(sub.every((e) => chosen.has(e.follower) && chosen.has(e.followee))).toBe(true)
    expect(sub.length).toBe(
      edges.filter((e) => chosen.has(e.follower) && chosen.has(e.followee)).length,
    )
    // Dense indeed: about 19% of all possible ordered pairs.
    expect(sub.length / (300 * 299)).toBeGreaterThan(0.15)
  })
})

test('a folder without the data sets is an error naming each file, where it comes from and its sha256', async () => {
  const err = await loadDataset('/nonexistent-data', 'epinions').catch((e: unknown) => e)
  expect(err).toBeInstanceOf(MissingDataSetError)
  const message = (err as Error).message
  expect(message).toContain('no soc-Epinions1.txt or SMSSpamCollection.tsv in /nonexistent-data')
  expect(message).toContain('https://snap.stanford.edu/data/soc-Epinions1.txt.gz')
  expect(message).toContain('https://archive.ics.uci.edu/dataset/228/sms+spam+collection')
  expect(message).toContain(dataSets[0].sha256)
  expect(message).toContain('--graph synthetic')
})

test('the synthetic graph is deterministic and has hot spots, as the real one does', async () => {
  const a = await loadDataset('/nonexistent-data', 'synthetic', 7)
  const b = await loadDataset('/nonexistent-data', 'synthetic', 7)
  expect(a).toEqual(b)
  expect(a.texts.length).toBe(2_000)
  expect(a.edges.every((e) => e.follower !== e.followee)).toBe(true)
  const followers = new Map<number, number>()
  for (const e of a.edges) followers.set(e.followee, (followers.get(e.followee) ?? 0) + 1)
  const counts = [...followers.values()]
  const mean = counts.reduce((x, y) => x + y, 0) / counts.length
  expect(Math.max(...counts)).toBeGreaterThan(10 * mean)
  const { nodes, edges } = densestSubgraph(a.edges, 300)
  expect(nodes.length).toBe(300)
  expect(edges.length).toBeGreaterThan(300)
})
