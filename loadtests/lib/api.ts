/**
 * The CivilDIY API as k6 scripts use it, through the gateway at BASE_URL
 * (default http://localhost:8080): sign-up and login, posting, feeds.
 */
import { check, fail } from 'k6'
import http from 'k6/http'

export const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:8080').replace(/\/+$/, '')
const json = { 'Content-Type': 'application/json' }

export interface Session {
  userId: string
  token: string
}

/** Registers a fresh user and logs in; fails the iteration on any error. */
export function signUp(prefix = 'k6'): Session {
  const email = `${prefix}-${__VU}-${__ITER}-${Date.now()}@k6.civildiy.dev`
  const password = 'k6 load test password'
  const reg = http.post(`${BASE_URL}/auth/register`, JSON.stringify({ email, password }), {
    headers: json,
    tags: { name: 'POST /auth/register' },
  })
  if (!check(reg, { 'register 201': (r) => r.status === 201 }))
    fail(`register: ${reg.status} ${reg.body}`)
  const login = http.post(`${BASE_URL}/auth/login`, JSON.stringify({ email, password }), {
    headers: json,
    tags: { name: 'POST /auth/login' },
  })
  if (!check(login, { 'login 200': (r) => r.status === 200 }))
    fail(`login: ${login.status} ${login.body}`)
  return { userId: reg.json('id') as string, token: login.json('accessToken') as string }
}

export const auth = (s: Session) => ({ ...json, Authorization: `Bearer ${s.token}` })

/** Creates a post; returns its id, or null on failure (counted by checks). */
export function createPost(s: Session, body: string): string | null {
  const res = http.post(`${BASE_URL}/posts`, JSON.stringify({ body }), {
    headers: auth(s),
    tags: { name: 'POST /posts' },
  })
  return check(res, { 'post 201': (r) => r.status === 201 }) ? (res.json('id') as string) : null
}

/** A page of the caller's home feed (ids only). */
export function homeFeed(s: Session, limit = 20): string[] {
  const res = http.get(`${BASE_URL}/feed?limit=${limit}`, {
    headers: auth(s),
    tags: { name: 'GET /feed' },
  })
  check(res, { 'feed 200': (r) => r.status === 200 })
  return res.status === 200 ? (res.json('items.#.id') as string[]) : []
}

/** Real short texts for post bodies (from the SMS Spam Collection's ham lines). */
export const texts = [
  'Ok lar... Joking wif u oni...',
  'U dun say so early hor... U c already then say...',
  "Nah I don't think he goes to usf, he lives around here though",
  'Even my brother is not like to speak with me. They treat me like aids patent.',
  "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight, k? I've cried enough today.",
  'I HAVE A DATE ON SUNDAY WITH WILL!!',
  "Oh k...i'm watching here:)",
  'Eh u remember how 2 spell his name... Yes i did. He v naughty make until i v wet.',
  'Fine if that\u2019s the way u feel. That\u2019s the way its gotta b',
  'Is that seriously how you spell his name?',
]
