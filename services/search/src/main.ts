/**
 * The search service: a second read model over the post events, in PostgreSQL
 * full-text search. `--rebuild` empties the index and replays the topic.
 */
import { defineService } from '@civildiy/kit'
import { PostsTopic } from '@civildiy/posts/events'
import { createApp } from './app.ts'
import { SearchConfig, SearchProductionNeeds } from './config.ts'
import { indexGroup } from './index/index-group.ts'
import { createSearchProjector } from './index/projector.ts'
import { migrations } from './migrations.ts'
import { createSearchService } from './search/service.ts'

await defineService({
  name: 'search',
  config: SearchConfig,
  configOptions: SearchProductionNeeds,
  async build(ctx) {
    const sql = await ctx.postgres(migrations)
    const language = ctx.config.SEARCH_LANGUAGE
    const groupId = await indexGroup(sql, {
      rebuild: process.argv.includes('--rebuild'),
      logger: ctx.logger,
    })
    ctx.events({
      consumer: {
        groupId,
        topics: [PostsTopic],
        deadLetterTopic: 'civildiy.search.dlq',
        handlers: createSearchProjector(sql, language).handlers,
      },
    })
    return createApp({ ...ctx.app, search: createSearchService(sql, language) })
  },
})
