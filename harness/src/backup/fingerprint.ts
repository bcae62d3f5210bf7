/**
 * What the restore drill compares before and after: how many users, follows and
 * posts the stores hold, and a digest of their keys (so a restore that brings back
 * the same number of different rows still fails).
 */
import { createHash } from 'node:crypto'
import { MongoClient } from 'mongodb'
import postgres from 'postgres'
import type { StoreLocation } from '../stack-file.ts'

/** A count and the SHA-256 of the sorted keys, hex. */
export interface Digest {
  count: number
  sha256: string
}

export interface Fingerprint {
  users: Digest
  follows: Digest
  posts: Digest
}

const digest = (keys: string[]): Digest => ({
  count: keys.length,
  sha256: createHash('sha256').update(keys.join('\n')).digest('hex'),
})

async function sqlKeys(url: string, query: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    return (await sql.unsafe<{ key: string }[]>(query)).map((r) => r.key)
  } finally {
    await sql.end()
  }
}

/**
 * Reads the fingerprint from the auth, profile and posts stores.
 * @throws when a store is missing from `stores` or cannot be read (e.g. its tables are gone).
 */
export async function fingerprint(stores: Record<string, StoreLocation>): Promise<Fingerprint> {
  const { auth, profile, posts } = stores
  if (!auth || !profile || !posts)
    throw new Error('the stack file names no auth, profile or posts store (restart `npm start`)')
  const users = await sqlKeys(auth.url, 'select id::text as key from users order by id')
  const follows = await sqlKeys(
    profile.url,
    `select follower_id::text || '>' || followee_id::text as key from follows order by 1`,
  )
  const client = new MongoClient(posts.url, { serverSelectionTimeoutMS: 5_000 })
  try {
    const ids = await client
      .db(posts.database)
      .collection('posts')
      .find({}, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .map((d) => String(d._id))
      .toArray()
    return { users: digest(users), follows: digest(follows), posts: digest(ids) }
  } finally {
    await client.close()
  }
}

/** What differs between two fingerprints, one line each; empty when they match. */
export function differences(before: Fingerprint, after: Fingerprint): string[] {
  return (['users', 'follows', 'posts'] as const).flatMap((k) =>
    before[k].sha256 === after[k].sha256
      ? []
      : [`${k}: ${before[k].count} before, ${after[k].count} after, keys differ`],
  )
}
