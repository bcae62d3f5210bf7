/**
 * The MongoDB connection (official driver). The URL always comes from outside: a
 * real MongoDB, or in development the embedded one `npm start` or `bun run dev`
 * serves.
 */
import { type Db, MongoClient } from 'mongodb'

export interface Mongo {
  db: Db
  url: string
  close(): Promise<void>
}

/** @throws when the server cannot be reached within 5 s. */
export async function connectMongo(o: { url: string; dbName: string }): Promise<Mongo> {
  const url = o.url
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5_000 })
  return {
    db: client.db(o.dbName),
    url,
    async close() {
      await client.close()
    },
  }
}
