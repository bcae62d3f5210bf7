/** Request and response shapes of the profile endpoints. */
import { JsonInteger } from '@civildiy/kit'
import { t } from 'elysia'

export const Profile = t.Object({
  userId: t.String({ format: 'uuid' }),
  displayName: t.String(),
  bio: t.String(),
  avatarUrl: t.Union([t.String(), t.Null()]),
  updatedAt: t.String({ format: 'date-time' }),
  followers: JsonInteger(),
  following: JsonInteger(),
})
export type Profile = typeof Profile.static

export const ProfilePatch = t.Object(
  {
    displayName: t.Optional(
      t.String({ minLength: 1, maxLength: 80, error: 'must be 1 to 80 characters' }),
    ),
    bio: t.Optional(t.String({ maxLength: 500, error: 'must be at most 500 characters' })),
    avatarUrl: t.Optional(
      t.Union([t.String({ pattern: '^https://', maxLength: 2048 }), t.Null()], {
        error: 'must be an https:// URL or null',
      }),
    ),
  },
  {
    minProperties: 1,
    additionalProperties: false,
    error: 'give at least one of displayName, bio, avatarUrl',
    examples: [{ displayName: 'Ada', bio: 'Builds things.' }],
  },
)
export type ProfilePatch = typeof ProfilePatch.static

export const UserIdParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a user id (UUID)' }),
})
