#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and `bench load --postgres`: its own data
# folder, listening on loopback only, trust authentication for the `ledgerline` user (it
# holds nothing but scratch databases). `start` (the default) starts it unless it runs
# and prints its URL; `status` says whether it runs (exit status); `stop` stops it. Debian's server binaries (apt-get install
# postgresql); as root, the server runs as the `postgres` user, which it requires.
set -euo pipefail

port="${LEDGERLINE_PG_PORT:-54329}"
dir="${LEDGERLINE_PG_DIR:-/tmp/ledgerline-pg-$port}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-test-server: no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
running() { as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "${1:-start}" in
  status)
    running
    exit
    ;;
  stop)
    if running; then as_owner "$bin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null; fi
    exit 0
    ;;
  start) ;;
  *) echo "usage: $0 [start|status|stop]" >&2; exit 2 ;;
esac

if ! running; then
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U ledgerline --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # Scratch data: durability off for speed; the socket stays in our folder.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
fi
echo "postgres://ledgerline@127.0.0.1:$port/postgres"
