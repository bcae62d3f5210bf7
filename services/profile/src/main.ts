/** The profile service: profiles and the follow graph; consumes `user.registered`. */

import { UserRegistered, UsersTopic } from '@civildiy/auth/events'
import { defineService } from '@civildiy/kit'
import { createApp } from './app.ts'
import { ProfileConfig, ProfileProductionNeeds } from './config.ts'
import { migrations } from './migrations.ts'
import { createProfileService } from './profiles/service.ts'

await defineService({
  name: 'profile',
  config: ProfileConfig,
  configOptions: ProfileProductionNeeds,
  async build(ctx) {
    const sql = await ctx.postgres(migrations)
    const profiles = createProfileService(sql, () => new Date())
    const events = ctx.events({
      sql,
      consumer: {
        groupId: 'profile',
        topics: [UsersTopic],
        handlers: { [UserRegistered.type]: (event) => profiles.onUserRegistered(event) },
      },
    })
    return createApp({
      ...ctx.app,
      sql,
      profiles,
      verify: ctx.verifier(),
      verifyErasure: ctx.erasureVerifier(),
      committed: events.relay.kick,
    })
  },
})
