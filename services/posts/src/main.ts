/** The posts service: posts in MongoDB, their events through an outbox kept on each post. */
import { defineService } from '@civildiy/kit'
import { createApp } from './app.ts'
import { PostsConfig, PostsProductionNeeds } from './config.ts'
import { PostsTopic } from './events.ts'
import { connectMongo } from './mongo.ts'
import type { PostDoc } from './posts/model.ts'
import { startPostOutboxRelay } from './posts/outbox-relay.ts'
import { ensurePostIndexes } from './posts/service.ts'

await defineService({
  name: 'posts',
  config: PostsConfig,
  configOptions: PostsProductionNeeds,
  async build(ctx) {
    const mongo = await connectMongo({ url: ctx.config.MONGO_URL, dbName: ctx.config.MONGO_DB })
    ctx.use(
      { name: 'mongodb', close: () => mongo.close() },
      { name: 'mongodb', check: async () => void (await mongo.db.command({ ping: 1 })) },
    )
    const posts = mongo.db.collection<PostDoc>('posts')
    await ensurePostIndexes(posts)
    const events = ctx.events({
      relay: (publisher) =>
        startPostOutboxRelay({ posts, topic: PostsTopic, publisher, logger: ctx.logger }),
    })
    return createApp({ ...ctx.app, posts, verify: ctx.verifier(), committed: events.relay.kick })
  },
})
