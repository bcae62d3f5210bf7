/**
 * A generated stand-in for the replay's data sets, for a clone without them
 * (`--graph synthetic`). The graph grows by preferential attachment on followers
 * (Barabási–Albert, directed): each new user follows 20 earlier ones, picked in
 * proportion to their followers plus one, so a few users gather many followers,
 * as on Epinions. Texts are sentences of 3 to 30 words from a fixed vocabulary.
 * Deterministic for a seed. It has the shape of real traffic, not its content.
 */
import type { Edge } from './dataset.ts'
import { seededRandom } from './seeded-random.ts'

const USERS = 2_000
const FOLLOWS_PER_USER = 20
const TEXTS = 2_000
const WORDS = `the a my our new old good great small big first last best long short
today tomorrow yesterday tonight morning evening week weekend
post photo trip dinner lunch coffee book film song game match run walk
garden kitchen shed roof fence wall floor paint wood brick tile lamp
project plan idea question answer update note list
fixed built painted planted cooked found lost finished started tried
with for from about after before into over under near
really quite very almost just still already again
nice fun hard easy odd quiet busy`.split(/\s+/)

/** @example syntheticDataset(1) // { edges: [...~40,000], texts: [...2,000] } */
export function syntheticDataset(seed: number): { edges: Edge[]; texts: string[] } {
  const random = seededRandom(seed)
  const edges: Edge[] = []
  // One entry per follower gained plus one per user: drawing from it is drawing in
  // proportion to followers + 1.
  const weighted: number[] = []
  for (let user = 0; user < USERS; user++) {
    const followed = new Set<number>()
    const want = Math.min(user, FOLLOWS_PER_USER)
    while (followed.size < want) followed.add(weighted[Math.floor(random() * weighted.length)]!)
    for (const followee of followed) {
      edges.push({ follower: user, followee })
      weighted.push(followee)
    }
    weighted.push(user)
  }
  const texts = Array.from({ length: TEXTS }, () => {
    const n = 3 + Math.floor(random() * 28)
    const words = Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!)
    const text = words.join(' ')
    return `${text[0]!.toUpperCase()}${text.slice(1)}.`
  })
  return { edges, texts }
}
