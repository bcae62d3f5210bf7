/**
 * The routes for CivilDIY's services. Copy this file, change it, and point
 * `GATEWAY_ROUTES_FILE` at the copy to route your own services.
 */
import { defineRoutes } from './model.ts'

const writes = ['POST', 'PUT', 'PATCH', 'DELETE']

export default defineRoutes({
  rateLimits: {
    // Password guessing and sign-up floods, per client address.
    credentials: { limit: 20, windowMs: 60_000, by: 'ip', methods: ['POST'] },
    // Writes per user; reads are not limited.
    writes: { limit: 120, windowMs: 60_000, by: 'user', methods: writes },
    // Full-text queries cost the database more than a feed read: per client address.
    search: { limit: 60, windowMs: 60_000, by: 'ip', methods: ['GET'] },
  },
  routes: [
    { prefix: '/auth/login', service: 'auth', auth: 'none', rateLimit: 'credentials' },
    { prefix: '/auth/register', service: 'auth', auth: 'none', rateLimit: 'credentials' },
    { prefix: '/auth', service: 'auth', auth: 'optional' },
    { prefix: '/.well-known/jwks.json', service: 'auth', auth: 'none' },
    { prefix: '/profiles', service: 'profile', auth: 'writes', rateLimit: 'writes' },
    // Posts and their comments: a post is at most 5,000 characters, a comment 2,000;
    // even escaped as \uXXXX that is under 64 KiB, so nothing bigger reaches the service.
    {
      prefix: '/posts',
      service: 'posts',
      auth: 'writes',
      rateLimit: 'writes',
      maxBodyBytes: 64 * 1024,
    },
    { prefix: '/feed/live', service: 'feed', auth: 'required', timeoutMs: 0 },
    { prefix: '/feed/global', service: 'feed', auth: 'optional' },
    { prefix: '/feed/users', service: 'feed', auth: 'optional' },
    { prefix: '/feed', service: 'feed', auth: 'required' },
    { prefix: '/search', service: 'search', auth: 'optional', rateLimit: 'search' },
    {
      prefix: '/notifications/live',
      service: 'notifications',
      auth: 'required',
      timeoutMs: 0,
      websocket: true,
    },
    { prefix: '/notifications', service: 'notifications', auth: 'required', rateLimit: 'writes' },
  ],
})
