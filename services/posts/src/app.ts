/** Builds the posts service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, erasureRoute, type JwtVerifier } from '@civildiy/kit'
import type { Collection } from 'mongodb'
import type { CommentDoc } from './comments/model.ts'
import { commentRoutes } from './comments/routes.ts'
import { createCommentService } from './comments/service.ts'
import { createPostsEraser, type ErasedUser, refuseErased } from './erasure.ts'
import { moderationRoutes } from './moderation/routes.ts'
import type { PostDoc } from './posts/model.ts'
import { postRoutes } from './posts/routes.ts'
import { createPostService } from './posts/service.ts'

export interface PostsDeps extends AppEnvironment {
  posts: Collection<PostDoc>
  comments: Collection<CommentDoc>
  verify: JwtVerifier
  /** Users erased by the account-deletion saga; with `verifyErasure`, the erasure route is served. */
  erased?: Collection<ErasedUser>
  verifyErasure?: JwtVerifier
  clock?: () => Date
  committed?: () => void
}

export function createApp(d: PostsDeps) {
  const shared = {
    source: '/civildiy/posts',
    committed: d.committed ?? (() => {}),
    clock: d.clock ?? (() => new Date()),
    writable: d.erased ? refuseErased(d.erased) : undefined,
  }
  const posts = createPostService({ ...shared, posts: d.posts })
  const comments = createCommentService({ ...shared, comments: d.comments, posts: d.posts })
  const app = baseApp({
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
  if (!d.erased || !d.verifyErasure) return app
  const erase = createPostsEraser({
    posts: d.posts,
    comments: d.comments,
    erased: d.erased,
    postService: posts,
    commentService: comments,
    clock: shared.clock,
  })
  return app.use(erasureRoute(d.verifyErasure, erase))
}
