/**
 * The MongoDB connection (official driver). With no MONGO_URL an in-process
 * devstack MongoDB is started, so the service runs with nothing installed
 * (development only; data lives in memory).
 */
import type { Logger } from '@civildiy/kit'
import { type Db, MongoClient } from 'mongodb'

export interface Mongo {
  db: Db
  url: string
  close(): Promise<void>
}

/** @throws when the server cannot be reached within 5 s. */
export async function connectMongo(o: {
  url?: string
  dbName: string
  logger: Logger
}): Promise<Mongo> {
  let url = o.url
  let stopEmbedded: (() => Promise<void>) | null = null
  if (!url) {
    const { startMongo } = await import('@civildiy/devstack')
    const server = await startMongo({ port: 0, log: () => {} })
    url = server.url
    stopEmbedded = server.stop
    o.logger.warn(
      { url },
      'MONGO_URL is not set: using an in-process devstack MongoDB (development only; data is kept in memory)',
    )
  }
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5_000 })
  return {
    db: client.db(o.dbName),
    url,
    async close() {
      await client.close()
      await stopEmbedded?.()
    },
  }
}
