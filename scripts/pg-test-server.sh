#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and `bench load --postgres`: its own data
# folder, listening on loopback only, trust authentication for the `ledgerline` user (it
# holds nothing but scratch databases), and TLS on, with a certificate for `localhost`
# signed by an authority of its own (tls/ca.crt beside its data; `SHOW ssl_cert_file`
# says where), and a client certificate for the role `ledgerline_cert`, which logs in by
# it alone (`cert` in pg_hba.conf), and `ledgerline_pw`, which logs in by password only. `start` (the default) starts it unless it runs
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

# An authority, the server's certificate (localhost only: a test connecting to 127.0.0.1
# with sslmode=verify-full must be refused) and a client certificate, made once.
make_certificates() {
  local tls="$1"
  [ -f "$tls/client.key" ] && return
  mkdir -p "$tls"
  local quiet=(-sha256 -days 3650)
  openssl req -x509 -newkey rsa:2048 -nodes "${quiet[@]}" -subj "/CN=ledgerline test authority" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    "${quiet[@]}" -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=ledgerline_cert" -keyout "$tls/client.key.new" -out "$tls/client.csr" 2>/dev/null
  openssl x509 -req -in "$tls/client.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    "${quiet[@]}" -out "$tls/client.crt" 2>/dev/null
  # The server reads its key only if no one else may.
  chmod 600 "$tls"/*.key*
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$tls"; fi
  mv "$tls/client.key.new" "$tls/client.key"
}

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
  make_certificates "$dir/tls"
  # Before initdb's trust lines: the roles the tests log in as otherwise than trusted.
  hba="$dir/data/pg_hba.conf"
  for rule in "hostssl all ledgerline_cert 127.0.0.1/32 cert" "host all ledgerline_pw 127.0.0.1/32 scram-sha-256"; do
    if ! grep -qxF "$rule" "$hba"; then
      { echo "$rule"; cat "$hba"; } >"$hba.new"
      cat "$hba.new" >"$hba" && rm "$hba.new"
    fi
  done
  # Scratch data: durability off for speed; the socket stays in our folder.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key -c ssl_ca_file=$dir/tls/ca.crt" \
    start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
fi
echo "postgres://ledgerline@127.0.0.1:$port/postgres"
