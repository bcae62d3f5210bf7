/**
 * Profiles: created from `user.registered` (idempotently: a redelivered event or a
 * replay changes nothing), read publicly, edited only by their owner.
 */

import { UserRegistered } from '@civildiy/auth/events'
import { type CloudEvent, eventData, NotFoundError } from '@civildiy/kit'
import type { Sql } from 'postgres'
import type { Profile, ProfilePatch } from './model.ts'

export interface ProfileService {
  /** @throws NotFoundError (404). */
  get(userId: string): Promise<Profile>
  /** @throws NotFoundError (404) when the caller has no profile yet. */
  update(userId: string, patch: ProfilePatch): Promise<Profile>
  /** Handles `user.registered`: creates the default profile once per user and per event. */
  onUserRegistered(event: CloudEvent): Promise<void>
}

interface Row {
  user_id: string
  display_name: string
  bio: string
  avatar_url: string | null
  updated_at: Date
  followers: number
  following: number
}

const view = (r: Row): Profile => ({
  userId: r.user_id,
  displayName: r.display_name,
  bio: r.bio,
  avatarUrl: r.avatar_url,
  updatedAt: r.updated_at.toISOString(),
  followers: r.followers,
  following: r.following,
})

export function createProfileService(sql: Sql, clock: () => Date): ProfileService {
  const load = async (userId: string) => {
    const [row] = await sql<Row[]>`
      select p.user_id, p.display_name, p.bio, p.avatar_url, p.updated_at,
        (select count(*)::int from follows where followee_id = p.user_id) as followers,
        (select count(*)::int from follows where follower_id = p.user_id) as following
      from profiles p where p.user_id = ${userId}`
    if (!row) throw new NotFoundError('profile')
    return view(row)
  }
  return {
    get: load,
    async update(userId, patch) {
      const [row] = await sql<{ user_id: string }[]>`
        update profiles set
          display_name = coalesce(${patch.displayName ?? null}, display_name),
          bio = coalesce(${patch.bio ?? null}, bio),
          avatar_url = ${patch.avatarUrl === undefined ? sql`avatar_url` : patch.avatarUrl},
          updated_at = ${clock()}
        where user_id = ${userId} returning user_id`
      if (!row) throw new NotFoundError('profile')
      return load(userId)
    },
    async onUserRegistered(event) {
      const data = eventData(UserRegistered, event)
      // Never derived from the email: profiles are public, email addresses are not.
      const displayName = `user-${data.userId.replaceAll('-', '').slice(-8)}`
      await sql.begin(async (tx) => {
        const [fresh] =
          await tx`insert into processed_events (event_id) values (${event.id}) on conflict do nothing returning event_id`
        if (!fresh) return
        const [erased] = await tx`select 1 from erased_users where user_id = ${data.userId}`
        if (erased) return
        await tx`insert into profiles (user_id, display_name, created_at, updated_at) values (${data.userId}, ${displayName}, ${data.registeredAt}, ${data.registeredAt}) on conflict (user_id) do nothing`
      })
    },
  }
}
