/**
 * The real input of `harness replay`, read from `../shared/data/` (see its README):
 * - soc-Epinions1 (SNAP; Richardson, Agrawal, Domingos, ISWC 2003): directed
 *   who-trusts-whom edges, read as follows;
 * - ego-Facebook (SNAP; McAuley, Leskovec, NIPS 2012): undirected friendships,
 *   read as mutual follows;
 * - SMS Spam Collection v.1 (Almeida, Gomez Hidalgo, Yamakami, DocEng 2011): the
 *   `ham` messages as post bodies (the `spam` ones carry premium-rate numbers).
 */
import { join, resolve } from 'node:path'

export const defaultDataDir = resolve(import.meta.dir, '..', '..', '..', '..', 'shared', 'data')

export type GraphName = 'epinions' | 'facebook'

/** A follow edge between node ids of the source graph. */
export interface Edge {
  follower: number
  followee: number
}

/**
 * Parses a SNAP edge list: `#` comment lines, then `from<TAB>to` (Epinions, CRLF)
 * or `u v` (Facebook, undirected: both directions).
 * @throws on a line that is not two integers.
 */
export function parseEdges(text: string, undirected: boolean): Edge[] {
  const edges: Edge[] = []
  let lineNo = 0
  for (const line of text.split(/\r?\n/)) {
    lineNo++
    if (line === '' || line.startsWith('#')) continue
    const [a, b, extra] = line.trim().split(/\s+/)
    const follower = Number(a)
    const followee = Number(b)
    if (extra !== undefined || !Number.isInteger(follower) || !Number.isInteger(followee))
      throw new Error(`line ${lineNo} is not an edge: "${line}"`)
    if (follower === followee) continue
    edges.push({ follower, followee })
    if (undirected) edges.push({ follower: followee, followee: follower })
  }
  return edges
}

/**
 * The densest part of a graph for `n` users: the `n` nodes of highest degree
 * (in + out, ties by id) and the edges among them.
 * @example densestSubgraph(edges, 300) // { nodes: [...300 ids], edges: [...17,158 edges] } for Epinions
 */
export function densestSubgraph(
  edges: readonly Edge[],
  n: number,
): { nodes: number[]; edges: Edge[] } {
  const degree = new Map<number, number>()
  for (const e of edges) {
    degree.set(e.follower, (degree.get(e.follower) ?? 0) + 1)
    degree.set(e.followee, (degree.get(e.followee) ?? 0) + 1)
  }
  const nodes = [...degree]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, n)
    .map(([id]) => id)
  const chosen = new Set(nodes)
  return { nodes, edges: edges.filter((e) => chosen.has(e.follower) && chosen.has(e.followee)) }
}

/** The `ham` texts of the SMS Spam Collection (`label<TAB>text`), trimmed, non-empty. */
export function parseHamTexts(tsv: string): string[] {
  const texts: string[] = []
  for (const line of tsv.split(/\r?\n/)) {
    const tab = line.indexOf('\t')
    if (tab < 0 || line.slice(0, tab) !== 'ham') continue
    const text = line.slice(tab + 1).trim()
    if (text) texts.push(text.slice(0, 5_000))
  }
  return texts
}

/**
 * Reads a graph and the texts from `dir`.
 * @throws when a file is missing, naming it and where it was looked for.
 */
export async function loadDataset(dir: string, graph: GraphName) {
  const graphFile = join(dir, graph === 'epinions' ? 'soc-Epinions1.txt' : 'facebook_combined.txt')
  const textFile = join(dir, 'SMSSpamCollection.tsv')
  for (const f of [graphFile, textFile])
    if (!(await Bun.file(f).exists()))
      throw new Error(`${f} not found; pass --data-dir pointing at the shared data sets`)
  return {
    edges: parseEdges(await Bun.file(graphFile).text(), graph === 'facebook'),
    texts: parseHamTexts(await Bun.file(textFile).text()),
  }
}
