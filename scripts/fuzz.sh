#!/usr/bin/env bash
# The fuzz targets' long form (issue 8): each of fuzz/fuzz_targets/* for SECONDS (default
# 60) under libFuzzer, with cargo-fuzz on the nightly toolchain (installed from the crate
# registry when missing). A crash stops the run and leaves its input in
# fuzz/artifacts/TARGET/; the corpus grows in fuzz/corpus/TARGET/ (neither committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/ensure-deps.sh
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: cargo fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
target_dir="${LEDGERLINE_FUZZ_TARGET:-$HOME/.cache/ledgerline/fuzz-target}"
for t in date_parser id_number header_mapper manifest_reader; do
  echo "fuzz: $t for ${seconds}s" >&2
  cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$target_dir" "$t" -- \
    -max_total_time="$seconds" -print_final_stats=1
done
