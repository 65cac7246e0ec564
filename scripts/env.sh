# Sourced by the scripts: one cargo target dir outside the clone, reused by every clone
# and by CI, and one build profile (dev, with optimized dependencies) for everything.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ledgerline/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
LEDGERLINE_BIN="$CARGO_TARGET_DIR/debug/ledgerline"
