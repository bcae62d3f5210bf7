/**
 * The search service as its own process on the devstack broker and a PGlite
 * server: posts published to the topic become searchable, and `--rebuild` empties
 * the index and builds it again from the topic, edits and deletes included.
 */
import { afterAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { freePort, startKafkaBroker, startPglite } from '@civildiy/devstack'
import { createEvent, createEventPublisher } from '@civildiy/kit'
import { silentLogger } from '@civildiy/kit/testing'
import { PostCreated, PostDeleted, PostsTopic } from '@civildiy/posts/events'
import type { SearchPage } from './search/model.ts'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

test('posts on the topic become searchable, and a rebuild from the topic gives the same index', async () => {
  const broker = await startKafkaBroker({ port: 0, log: () => {} })
  cleanup.push(() => broker.stop())
  const pg = await startPglite({ port: 0 })
  cleanup.push(() => pg.stop())
  const port = await freePort()
  const start = (...args: string[]) => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'main.ts'), ...args], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        DATABASE_URL: pg.url,
        KAFKA_BROKERS: broker.brokers[0]!,
        CONSUL_HTTP_ADDR: '',
      },
      stdout: 'ignore',
      stderr: 'inherit',
    })
    cleanup.push(async () => proc.kill())
    return proc
  }
  const publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'search-test',
    logger: silentLogger(),
  })
  cleanup.push(() => publisher.close())
  const author = randomUUID()
  const [kept, gone] = [randomUUID(), randomUUID()]
  const post = (postId: string, body: string) => ({
    topic: PostsTopic,
    key: author,
    event: createEvent(PostCreated, {
      source: '/t',
      data: { postId, authorId: author, version: 1, body, createdAt: new Date().toISOString() },
    }),
  })
  await publisher.publish([post(kept, 'heritage parsnips'), post(gone, 'parsnip wine')])
  await publisher.publish([
    {
      topic: PostsTopic,
      key: author,
      event: createEvent(PostDeleted, {
        source: '/t',
        data: { postId: gone, authorId: author, version: 2, deletedAt: new Date().toISOString() },
      }),
    },
  ])
  const found = async (q: string, want: string[]) => {
    const deadline = Date.now() + 20_000
    let got: string[] = []
    while (Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${port}/search?q=${q}`).catch(() => null)
      if (res?.ok) got = ((await res.json()) as SearchPage).items.map((i) => i.postId)
      if (JSON.stringify(got) === JSON.stringify(want)) break
      await Bun.sleep(100)
    }
    return got
  }
  const first = start()
  expect(await found('parsnip', [kept])).toEqual([kept])
  first.kill('SIGTERM')
  await first.exited
  const rebuilt = start('--rebuild')
  expect(await found('parsnip', [kept])).toEqual([kept])
  rebuilt.kill('SIGTERM')
  expect(await rebuilt.exited).toBe(0)
}, 60_000)
