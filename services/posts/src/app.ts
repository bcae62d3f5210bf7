/** Builds the posts service's app from its dependencies (no I/O here). */
import {
  baseApp,
  type HealthCheck,
  type JwtVerifier,
  type Lifecycle,
  type Logger,
} from '@civildiy/kit'
import type { Collection } from 'mongodb'
import type { PostDoc } from './posts/model.ts'
import { postRoutes } from './posts/routes.ts'
import { createPostService } from './posts/service.ts'

export interface PostsDeps {
  posts: Collection<PostDoc>
  verify: JwtVerifier
  logger: Logger
  production: boolean
  clock?: () => Date
  committed?: () => void
  checks?: () => HealthCheck[]
  lifecycle?: Lifecycle
}

export function createApp(d: PostsDeps) {
  const posts = createPostService({
    posts: d.posts,
    source: '/civildiy/posts',
    committed: d.committed ?? (() => {}),
    clock: d.clock ?? (() => new Date()),
  })
  return baseApp({
    name: 'posts',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
  }).use(postRoutes({ posts, verify: d.verify }))
}
