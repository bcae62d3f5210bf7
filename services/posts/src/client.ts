/**
 * The posts API's type for typed clients (Elysia's Eden Treaty): the same paths
 * answer on the service and through the gateway.
 * @example const posts = treaty<PostsApp>('http://127.0.0.1:8080'); // then posts.<path>.<method>(...)
 */
import type { Treaty } from '@elysiajs/eden'
import type { createApp } from './app.ts'

export type PostsApp = ReturnType<typeof createApp>
export type PostsClient = Treaty.Create<PostsApp>
