/**
 * The real input of `harness replay`, read from `../shared/data/` (see its README),
 * or a generated stand-in (`--graph synthetic`) where those files are not at hand:
 * - soc-Epinions1 (SNAP; Richardson, Agrawal, Domingos, ISWC 2003): directed
 *   who-trusts-whom edges, read as follows;
 * - ego-Facebook (SNAP; McAuley, Leskovec, NIPS 2012): undirected friendships,
 *   read as mutual follows;
 * - SMS Spam Collection v.1 (Almeida, Gomez Hidalgo, Yamakami, DocEng 2011): the
 *   `ham` messages as post bodies (the `spam` ones carry premium-rate numbers).
 */
import { basename, join, resolve } from 'node:path'
import { syntheticDataset } from './synthetic-dataset.ts'

export const defaultDataDir = resolve(import.meta.dir, '..', '..', '..', '..', 'shared', 'data')

/** The real graphs, and `synthetic`: generated here when no data set is at hand. */
export type GraphName = 'epinions' | 'facebook' | 'synthetic'

/**
 * Where each data set comes from. The sha256 sums are of the files as the replay
 * reads them (unpacked and named as below), as this project was developed against.
 */
export const dataSets = [
  {
    file: 'soc-Epinions1.txt',
    what: 'SNAP soc-Epinions1 (Richardson, Agrawal, Domingos, ISWC 2003)',
    from: 'https://snap.stanford.edu/data/soc-Epinions1.txt.gz (gunzip)',
    sha256: '3e42b000e66cada74053ac7f8b24de291f9837264421dc2f3730b45cc58d17b1',
  },
  {
    file: 'facebook_combined.txt',
    what: 'SNAP ego-Facebook (McAuley, Leskovec, NIPS 2012)',
    from: 'https://snap.stanford.edu/data/facebook_combined.txt.gz (gunzip)',
    sha256: 'f41c026ed8af3cc3359f1ca5573d0605fb09ae0eefa34544b820fd8c6e2ef296',
  },
  {
    file: 'SMSSpamCollection.tsv',
    what: 'SMS Spam Collection v.1 (Almeida, Gomez Hidalgo, Yamakami, DocEng 2011)',
    from: 'https://archive.ics.uci.edu/dataset/228/sms+spam+collection (unzip; rename SMSSpamCollection to SMSSpamCollection.tsv)',
    sha256: '7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d',
  },
] as const

/** Raised when a data set is not where the replay looks: the message says where to get it. */
export class MissingDataSetError extends Error {
  override name = 'MissingDataSetError'
}

/** What to do about `missing` files of `dir`: where each comes from, and the alternatives. */
export function missingDataSetsMessage(dir: string, missing: string[]): string {
  const lines = dataSets
    .filter((d) => missing.includes(d.file))
    .map((d) => `  ${d.file}: ${d.what}\n    from ${d.from}\n    sha256 ${d.sha256}`)
  return [
    `no ${missing.join(' or ')} in ${dir}.`,
    'The replay reads public research data sets, which are not in this repository:',
    ...lines,
    'Put them in one folder and pass --data-dir DIR (the default is ../shared/data next to',
    'the project), or run with --graph synthetic for a generated graph and texts.',
  ].join('\n')
}

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
 * Reads a graph and the texts from `dir` (the `synthetic` graph needs no files).
 * @throws MissingDataSetError naming each missing file and where it comes from.
 */
export async function loadDataset(dir: string, graph: GraphName, seed = 1) {
  if (graph === 'synthetic') return syntheticDataset(seed)
  const graphFile = join(dir, graph === 'epinions' ? 'soc-Epinions1.txt' : 'facebook_combined.txt')
  const textFile = join(dir, 'SMSSpamCollection.tsv')
  const missing: string[] = []
  for (const f of [graphFile, textFile])
    if (!(await Bun.file(f).exists())) missing.push(basename(f))
  if (missing.length) throw new MissingDataSetError(missingDataSetsMessage(dir, missing))
  return {
    edges: parseEdges(await Bun.file(graphFile).text(), graph === 'facebook'),
    texts: parseHamTexts(await Bun.file(textFile).text()),
  }
}
