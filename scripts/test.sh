#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
. scripts/env.sh
scripts/prune-target.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# The PostgreSQL target is tested against a real server on loopback, stopped afterwards
# unless it was already running.
if [ -z "${LEDGERLINE_TEST_POSTGRES:-}" ]; then
  if ! scripts/pg-test-server.sh status >/dev/null 2>&1; then
    trap 'scripts/pg-test-server.sh stop' EXIT
  fi
  LEDGERLINE_TEST_POSTGRES="$(scripts/pg-test-server.sh start)"
  export LEDGERLINE_TEST_POSTGRES
fi
cargo test --workspace
