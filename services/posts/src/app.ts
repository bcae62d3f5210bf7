/** Builds the posts service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, type JwtVerifier } from '@civildiy/kit'
import type { Collection } from 'mongodb'
import type { CommentDoc } from './comments/model.ts'
import { commentRoutes } from './comments/routes.ts'
import { createCommentService } from './comments/service.ts'
import { moderationRoutes } from './moderation/routes.ts'
import type { PostDoc } from './posts/model.ts'
import { postRoutes } from './posts/routes.ts'
import { createPostService } from './posts/service.ts'

export interface PostsDeps extends AppEnvironment {
  posts: Collection<PostDoc>
  comments: Collection<CommentDoc>
  verify: JwtVerifier
  clock?: () => Date
  committed?: () => void
}

export function createApp(d: PostsDeps) {
  const shared = {
    source: '/civildiy/posts',
    committed: d.committed ?? (() => {}),
    clock: d.clock ?? (() => new Date()),
  }
  const posts = createPostService({ ...shared, posts: d.posts })
  const comments = createCommentService({ ...shared, comments: d.comments, posts: d.posts })
  return baseApp({
    name: 'posts',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  })
    .use(postRoutes({ posts, verify: d.verify }))
    .use(commentRoutes({ comments, verify: d.verify }))
    .use(moderationRoutes({ posts, comments, verify: d.verify }))
}
