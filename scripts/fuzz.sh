#!/usr/bin/env bash
# The fuzz targets' long form (issue 8): each of fuzz/fuzz_targets/* for SECONDS (default
# 60) under libFuzzer, with cargo-fuzz on the nightly toolchain (installed from the crate
# registry when missing). A crash stops the run and leaves its input in
# fuzz/artifacts/TARGET/; the corpus grows in fuzz/corpus/TARGET/ (neither committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/ensure-deps.sh python3-venv libtiff-tools
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: cargo fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
target_dir="${LEDGERLINE_FUZZ_TARGET:-$HOME/.cache/ledgerline/fuzz-target}"
# page_file starts from small pages stored every way archives store them (made here,
# with Pillow and img2pdf from PyPI, and libtiff's tiffcp from Debian's libtiff-tools).
page_seeds="fuzz/corpus/page_file"
if [ -z "$(ls -A "$page_seeds" 2>/dev/null)" ]; then
  venv="$HOME/.cache/ledgerline/fuzz-venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pillow img2pdf
  "$venv/bin/python" fuzz/seed_pages.py "$page_seeds"
fi
for t in date_parser id_number header_mapper manifest_reader page_file; do
  echo "fuzz: $t for ${seconds}s" >&2
  # A page may be as large as the page limits allow (20,000 pixels a side, 400
  # megapixels): memory to hold one, and time to decode one, are not faults.
  extra=()
  [ "$t" = page_file ] && extra=(-max_len=65536 -rss_limit_mb=4096 -timeout=60)
  cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$target_dir" "$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 "${extra[@]}"
done
