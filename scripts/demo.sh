#!/usr/bin/env bash
# The main job on the bundled sample batch: installs what is missing, builds, runs every
# stage that exists on batches/sample into ./ledgerline-ws, and says where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
. scripts/env.sh
# The same selection as scripts/test.sh builds, so both share one DuckDB build (a narrower
# selection unifies dependency features differently and would compile DuckDB again).
cargo build --workspace --all-targets
ws="${LEDGERLINE_WORKSPACE:-ledgerline-ws}"
"$LEDGERLINE_BIN" run batches/sample --workspace "$ws"
"$LEDGERLINE_BIN" dedupe --workspace "$ws"
"$LEDGERLINE_BIN" index --workspace "$ws"
"$LEDGERLINE_BIN" status --workspace "$ws"
echo
echo "results: workspace $ws (DuckDB database $ws/ledgerline.duckdb)"
echo "binary:  $LEDGERLINE_BIN (try: $LEDGERLINE_BIN --help)"
echo "review:  $LEDGERLINE_BIN users add NAME --role data_entry --workspace $ws && $LEDGERLINE_BIN serve --workspace $ws"
