/**
 * Each user's notifications. `seq` numbers a user's notifications 1, 2, 3, ... in
 * commit order: it comes from the user's counter row, whose lock is held until the
 * inserting transaction commits, so a reader that has seen seq n never later finds
 * a new n-1 (the cursor of the live socket and of resumption). `event_id` is
 * unique: a redelivered event adds nothing. A tombstone keeps a withdrawn subject
 * (a deleted comment) from coming back with a late event.
 */
import type { Migration } from '@civildiy/kit'

export const migrations: Migration[] = [
  {
    id: 'notifications-0001-inbox',
    sql: `
      create table notifications (
        user_id uuid not null,
        seq bigint not null,
        kind text not null,
        actor_id uuid not null,
        post_id uuid,
        comment_id uuid,
        event_id text not null unique,
        created_at timestamptz not null,
        read_at timestamptz,
        primary key (user_id, seq)
      );
      create index notifications_unread on notifications (user_id) where read_at is null;
      create index notifications_comment on notifications (comment_id) where comment_id is not null;
      create table notification_counters (user_id uuid primary key, last_seq bigint not null);
      create table notification_tombstones (subject text primary key, at timestamptz not null);
    `,
  },
]
