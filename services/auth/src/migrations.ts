/** The auth service's schema, applied at start under an advisory lock. */
import { type Migration, OUTBOX_MIGRATIONS } from '@civildiy/kit'

export const migrations: Migration[] = [
  ...OUTBOX_MIGRATIONS,
  {
    id: 'auth-0001-users',
    sql: `
      create table users (
        id uuid primary key,
        email text not null,
        password_hash text not null,
        created_at timestamptz not null default now()
      );
      create unique index users_email_lower on users (lower(email));
    `,
  },
  {
    id: 'auth-0002-refresh-tokens',
    sql: `
      create table refresh_tokens (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        family_id uuid not null,
        token_hash text not null unique,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        rotated_at timestamptz,
        revoked_at timestamptz
      );
      create index refresh_tokens_family on refresh_tokens (family_id);
    `,
  },
  {
    id: 'auth-0003-roles-and-suspension',
    sql: `
      alter table users add column roles text[] not null default '{}';
      alter table users add column suspended_at timestamptz;
      alter table users add column suspension_reason text;
      create index users_suspended on users (suspended_at) where suspended_at is not null;
    `,
  },
  {
    // Append-only: no API alters an entry, and the table itself refuses UPDATE,
    // DELETE and TRUNCATE. event_id is unique: a redelivered event adds nothing.
    id: 'auth-0004-audit-entries',
    sql: `
      create table audit_entries (
        seq bigserial primary key,
        event_id text not null unique,
        source text not null,
        action text not null,
        actor_id uuid,
        subject text not null,
        reason text,
        request_id text not null,
        trace_id text not null,
        details jsonb not null,
        at timestamptz not null,
        recorded_at timestamptz not null default now()
      );
      create index audit_entries_actor on audit_entries (actor_id, seq);
      create index audit_entries_subject on audit_entries (subject, seq);
      create index audit_entries_action on audit_entries (action, seq);
      create function audit_entries_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'audit entries are append-only' using errcode = '42501';
      end
      $$;
      create trigger audit_entries_no_update_or_delete before update or delete on audit_entries
        for each row execute function audit_entries_refuse_change();
      create trigger audit_entries_no_truncate before truncate on audit_entries
        for each statement execute function audit_entries_refuse_change();
    `,
  },
  {
    // The account-deletion saga's state, one row per request (see deletion/saga.ts).
    // user_id has no foreign key: the user row goes at the saga's last step.
    id: 'auth-0005-account-deletions',
    sql: `
      create table account_deletions (
        id uuid primary key,
        user_id uuid not null,
        state text not null,
        requested_at timestamptz not null,
        grace_until timestamptz not null,
        steps jsonb not null,
        next_attempt_at timestamptz not null,
        completed_at timestamptz,
        cancelled_at timestamptz
      );
      create unique index account_deletions_open on account_deletions (user_id)
        where state in ('scheduled', 'erasing');
      create index account_deletions_due on account_deletions (next_attempt_at)
        where state in ('scheduled', 'erasing');
    `,
  },
]
