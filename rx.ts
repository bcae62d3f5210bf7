import { startTestRedis, freePort } from './devstack/src/index.ts'
import { createTestIssuer } from './kit/src/testing/index.ts'
import { createRedisStore } from './services/feed/src/store/redis-store.ts'
import { feedKeys } from './services/feed/src/feed/keys.ts'
const redis = (await startTestRedis())!
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
const k = feedKeys('x:')
const store = createRedisStore(redis.url)
const user = crypto.randomUUID()
await store.setMeta(k.consumerGroup, 'g')
for (let i = 0; i < 100; i++) {
  const id = crypto.randomUUID(), t = Date.now() - i * 1000
  await store.setPost(k.post(id), { id, authorId: user, body: 'hello world '.repeat(10), createdAt: t, updatedAt: t, version: 1, likeCount: 0 })
  await store.add([k.home(user), k.global], t, id, 800)
}
const port = await freePort()
const proc = Bun.spawn([process.execPath, 'services/feed/src/main.ts'], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', REDIS_URL: redis.url, FEED_KEY_PREFIX: 'x:', CONSUL_HTTP_ADDR: '', AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks` }, stdout: 'ignore', stderr: 'inherit' })
for (;;) { if (await fetch(`http://127.0.0.1:${port}/health/live`).then(r => r.ok, () => false)) break; await Bun.sleep(20) }
const token = await issuer.tokenFor(user)
const r = await fetch(`http://127.0.0.1:${port}/feed?limit=20`, { headers: { authorization: `Bearer ${token}` } })
console.log(r.status, (await r.json()).items.length)
const cpu = (pid: number) => { const f = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100 }
const redisPid = Number(require('child_process').execSync(`pgrep -f "redis-server.*${new URL(redis.url).port}"`).toString().trim().split('\n')[0])
for (const path of [process.argv[2] ?? '/feed?limit=20']) {
  const c0 = [cpu(proc.pid), cpu(redisPid)]
  const out = require('child_process').execSync(`wrk -t1 -c32 -d8s -H "authorization: Bearer ${token}" http://127.0.0.1:${port}${path}`).toString()
  const c1 = [cpu(proc.pid), cpu(redisPid)]
  console.log(path, out.split('\n').filter((l: string) => /Requests\/sec|Latency/.test(l)).join(' | '), 'cpu s feed/redis over 8s:', (c1[0]-c0[0]).toFixed(2), (c1[1]-c0[1]).toFixed(2))
}
proc.kill(); process.exit(0)
