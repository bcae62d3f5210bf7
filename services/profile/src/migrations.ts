/** The profile service's schema (its own database; it never reads auth's tables). */
import { type Migration, OUTBOX_MIGRATIONS } from '@civildiy/kit'

export const migrations: Migration[] = [
  ...OUTBOX_MIGRATIONS,
  {
    id: 'profile-0001-profiles-follows',
    sql: `
      create table profiles (
        user_id uuid primary key,
        display_name text not null,
        bio text not null default '',
        avatar_url text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create table follows (
        follower_id uuid not null references profiles (user_id) on delete cascade,
        followee_id uuid not null references profiles (user_id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (follower_id, followee_id),
        check (follower_id <> followee_id)
      );
      create index follows_followee on follows (followee_id, created_at desc, follower_id desc);
      create index follows_follower on follows (follower_id, created_at desc, followee_id desc);
      create table processed_events (
        event_id uuid primary key,
        processed_at timestamptz not null default now()
      );
    `,
  },
  {
    // Users erased by the account-deletion saga: a late or replayed user.registered
    // must not bring their profile back.
    id: 'profile-0002-erased-users',
    sql: `
      create table erased_users (
        user_id uuid primary key,
        erased_at timestamptz not null default now()
      );
    `,
  },
]
