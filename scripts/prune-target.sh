#!/usr/bin/env bash
# Keeps the shared cargo target dir (scripts/env.sh) from growing without end: a test
# executable's file name carries a hash of its crate's dependencies, features and flags, so
# every change of those (a Cargo.lock update, a `cargo test -p` run with other features)
# leaves the old executable behind, ~700 MB each with debug info (a disk filled up this way
# once). Keeps the newest two of each executable name; cargo relinks any a build needs.
set -euo pipefail
deps="${CARGO_TARGET_DIR:?set by scripts/env.sh}/debug/deps"
[ -d "$deps" ] || exit 0
find "$deps" -maxdepth 1 -type f -perm -u+x ! -name '*.*' -printf '%T@ %f\n' |
  sort -rn |
  awk '{ name = $2; sub(/-[0-9a-f]+$/, "", name); if (++seen[name] > 2) print $2 }' |
  while read -r old; do rm -f -- "$deps/$old"; done
