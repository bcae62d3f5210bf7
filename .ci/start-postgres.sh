#!/usr/bin/env bash
# Installs (if missing) and starts Debian's PostgreSQL, sets the postgres
# password, and prints the DATABASE_URL the real-server test suites use.
# Idempotent; safe to re-run.
set -euo pipefail
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
if [ "$status" != "online" ]; then pg_ctlcluster "$version" "$name" start; fi
for _ in $(seq 1 50); do
  if runuser -u postgres -- psql -p "$port" -qAtc 'select 1' >/dev/null 2>&1; then break; fi
  sleep 0.2
done
runuser -u postgres -- psql -p "$port" -qc "alter user postgres password 'postgres'" >/dev/null
echo "postgres://postgres:postgres@127.0.0.1:${port}/postgres"
