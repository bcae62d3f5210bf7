/**
 * The search index: one row per post ever seen, its latest version, and a
 * tsvector generated from the body under the row's own text search configuration,
 * with a GIN index. A deleted post stays as a tombstone (no body), so an older
 * event arriving late cannot bring it back.
 */
import type { Migration } from '@civildiy/kit'

export const migrations: Migration[] = [
  {
    id: 'search-0001-posts',
    sql: `
      create table search_posts (
        post_id uuid primary key,
        author_id uuid not null,
        version integer not null,
        body text,
        deleted boolean not null default false,
        language regconfig not null,
        created_at timestamptz,
        updated_at timestamptz not null,
        doc tsvector generated always as (to_tsvector(language, coalesce(body, ''))) stored
      );
      create index search_posts_doc on search_posts using gin (doc);
      create table search_meta (key text primary key, value text not null);
    `,
  },
]
