/**
 * The profile API's type for typed clients (Elysia's Eden Treaty): the same paths
 * answer on the service and through the gateway.
 * @example const profile = treaty<ProfileApp>('http://127.0.0.1:8080'); // then profile.<path>.<method>(...)
 */
import type { Treaty } from '@elysiajs/eden'
import type { createApp } from './app.ts'

export type ProfileApp = ReturnType<typeof createApp>
export type ProfileClient = Treaty.Create<ProfileApp>
