#!/bin/sh
# First start of the postgres container only (docker-entrypoint-initdb.d): a login
# role per service, owning its own database and nothing else; nobody else may
# connect to either. The superuser (POSTGRES_USER) is for administration and
# backups, never for a service. Passwords pass as psql variables (:'...'), quoted
# by psql, so no password can break the SQL.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v auth_password="$AUTH_DB_PASSWORD" -v profile_password="$PROFILE_DB_PASSWORD" \
  -v search_password="$SEARCH_DB_PASSWORD" -v notifications_password="$NOTIFICATIONS_DB_PASSWORD" <<'SQL'
CREATE ROLE auth LOGIN PASSWORD :'auth_password';
CREATE ROLE profile LOGIN PASSWORD :'profile_password';
CREATE ROLE search LOGIN PASSWORD :'search_password';
CREATE ROLE notifications LOGIN PASSWORD :'notifications_password';
CREATE DATABASE auth OWNER auth;
CREATE DATABASE profile OWNER profile;
CREATE DATABASE search OWNER search;
CREATE DATABASE notifications OWNER notifications;
REVOKE ALL ON DATABASE auth FROM PUBLIC;
REVOKE ALL ON DATABASE profile FROM PUBLIC;
REVOKE ALL ON DATABASE search FROM PUBLIC;
REVOKE ALL ON DATABASE notifications FROM PUBLIC;
SQL
