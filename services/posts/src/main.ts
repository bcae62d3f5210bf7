/**
 * The posts service: posts and their comments in MongoDB, each change's event in an
 * outbox kept on the document it changed.
 */
import { defineService } from '@civildiy/kit'
import { createApp } from './app.ts'
import type { CommentDoc } from './comments/model.ts'
import { ensureCommentIndexes } from './comments/service.ts'
import { PostsConfig, PostsProductionNeeds } from './config.ts'
import type { ErasedUser } from './erasure.ts'
import { connectMongo } from './mongo.ts'
import { startDocumentOutboxRelay } from './outbox-relay.ts'
import { commentOutbox, postOutbox } from './outbox-sources.ts'
import type { PostDoc } from './posts/model.ts'
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
    const comments = mongo.db.collection<CommentDoc>('comments')
    await Promise.all([ensurePostIndexes(posts), ensureCommentIndexes(comments)])
    const events = ctx.events({
      relay: (publisher) =>
        startDocumentOutboxRelay({
          sources: [postOutbox(posts), commentOutbox(comments)],
          publisher,
          logger: ctx.logger,
        }),
    })
    return createApp({
      ...ctx.app,
      posts,
      comments,
      verify: ctx.verifier(),
      erased: mongo.db.collection<ErasedUser>('erased_users'),
      verifyErasure: ctx.erasureVerifier(),
      committed: events.relay.kick,
    })
  },
})
