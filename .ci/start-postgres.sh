#!/usr/bin/env bash
# Installs (if missing) and starts Debian's PostgreSQL, sets the postgres
# password, and prints the DATABASE_URL the real-server test suites use.
# Idempotent; safe to re-run.
set -euo pipefail
# Only the URL goes to stdout: pg_ctlcluster and friends chatter ("Removed stale
# pid file.") and callers capture stdout with $(...).
exec 3>&1 1>&2
if ! command -v pg_lsclusters >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
cluster=$(pg_lsclusters --no-header | head -n 1)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >/dev/null
  cluster=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != "online" ]; then
  # A machine image snapshotted with PostgreSQL running leaves a socket lock
  # naming a dead postmaster; PostgreSQL refuses to start until it is gone.
  lock="/var/run/postgresql/.s.PGSQL.${port}.lock"
  if [ -f "$lock" ] && ! kill -0 "$(head -n 1 "$lock")" 2>/dev/null; then rm -f "$lock"; fi
  pg_ctlcluster "$version" "$name" start 3>&-
fi
for _ in $(seq 1 50); do
  if runuser -u postgres -- psql -p "$port" -qAtc 'select 1' >/dev/null 2>&1; then break; fi
  sleep 0.2
done
runuser -u postgres -- psql -p "$port" -qc "alter user postgres password 'postgres'" >/dev/null
echo "postgres://postgres:postgres@127.0.0.1:${port}/postgres" >&3
