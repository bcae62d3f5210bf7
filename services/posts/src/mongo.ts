/**
 * The MongoDB connection (official driver). The URL always comes from outside: a
 * real MongoDB, or in development the embedded one `npm start` or `bun run dev`
 * serves.
 */
import { tracingEnabled } from '@civildiy/kit'
import { type Db, MongoClient } from 'mongodb'
import { traceCommands } from './mongo-spans.ts'

export interface Mongo {
  db: Db
  url: string
  close(): Promise<void>
}

/** @throws when the server cannot be reached within 5 s. */
export async function connectMongo(o: { url: string; dbName: string }): Promise<Mongo> {
  const url = o.url
  const traced = tracingEnabled()
  const client = await MongoClient.connect(url, {
    serverSelectionTimeoutMS: 5_000,
    monitorCommands: traced,
  })
  if (traced) traceCommands(client)
  return {
    db: client.db(o.dbName),
    url,
    async close() {
      await client.close()
    },
  }
}
