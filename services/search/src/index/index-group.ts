/**
 * The consumer group the index is built under, kept in the index's own database:
 * a fresh index (or `--rebuild`, which empties it) gets a new group, which reads
 * the post topic from the beginning. The topics are the source of truth, so the
 * index needs no backup of its own.
 */
import type { Logger } from '@civildiy/kit'
import type { Sql } from 'postgres'

/**
 * @param rebuild empty the index and start over under a new group.
 * @example const groupId = await indexGroup(sql, { rebuild: process.argv.includes('--rebuild'), logger })
 */
export async function indexGroup(
  sql: Sql,
  o: { rebuild: boolean; logger: Logger },
): Promise<string> {
  if (o.rebuild) {
    await sql.begin(async (tx) => {
      await tx`truncate search_posts`
      await tx`delete from search_meta where key = 'consumer_group'`
    })
  }
  const candidate = `search-${Date.now()}`
  await sql`insert into search_meta (key, value) values ('consumer_group', ${candidate}) on conflict (key) do nothing`
  const [row] = await sql<
    { value: string }[]
  >`select value from search_meta where key = 'consumer_group'`
  const group = row!.value
  if (group === candidate)
    o.logger.info({ groupId: group }, 'building the search index from the beginning of the topic')
  return group
}
