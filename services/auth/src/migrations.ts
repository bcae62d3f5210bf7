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
]
