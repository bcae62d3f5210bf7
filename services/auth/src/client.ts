/**
 * The auth API's type for typed clients (Elysia's Eden Treaty): the same paths
 * answer on the service and through the gateway.
 * @example const auth = treaty<AuthApp>('http://127.0.0.1:8080'); // then auth.<path>.<method>(...)
 */
import type { Treaty } from '@elysiajs/eden'
import type { createApp } from './app.ts'

export type AuthApp = ReturnType<typeof createApp>
export type AuthClient = Treaty.Create<AuthApp>
