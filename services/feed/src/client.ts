/**
 * The feed API's type for typed clients (Elysia's Eden Treaty): the same paths
 * answer on the service and through the gateway.
 * @example const feed = treaty<FeedApp>('http://127.0.0.1:8080'); // then feed.<path>.<method>(...)
 */
import type { Treaty } from '@elysiajs/eden'
import type { createApp } from './app.ts'

export type FeedApp = ReturnType<typeof createApp>
export type FeedClient = Treaty.Create<FeedApp>
