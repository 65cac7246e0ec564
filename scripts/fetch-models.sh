#!/usr/bin/env bash
# The fuller Tesseract chi_sim model (tesseract 4.0.0 "traineddata", LSTM + legacy), from
# the npm registry package @tesseract.js-data/chi_sim, pinned by SHA-256. Debian's
# tesseract-ocr-chi-sim is the small fast model; measured on name/address cells the fuller
# one read 202/240 exact against 143/240, and 性别 57/60 against 35/60 (issue 3), so OCR
# uses it for Chinese text and 性别 cells when it is here. Idempotent; a failed download
# leaves OCR on Debian's model and says so.
set -euo pipefail
dir="${LEDGERLINE_MODELS:-$HOME/.cache/ledgerline/models}/chi_sim_full"
model="$dir/chi_sim.traineddata"
[ -s "$model" ] && exit 0
url="https://registry.npmjs.org/@tesseract.js-data/chi_sim/-/chi_sim-1.0.0.tgz"
sha="850d4a217c87808ef765385cbe5825f4ae99047a49b17e024069ceb663f01c33"
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading the fuller chi_sim model (21 MB) from the npm registry" >&2
if ! curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "$url"; then
  echo "fetch-models: download failed; OCR will use Debian's chi_sim model" >&2
  exit 0
fi
echo "$sha  $tmp/pkg.tgz" | sha256sum -c --quiet - || { echo "fetch-models: checksum mismatch for $url" >&2; exit 1; }
tar xzf "$tmp/pkg.tgz" -C "$tmp" package/4.0.0/chi_sim.traineddata.gz
gunzip -c "$tmp/package/4.0.0/chi_sim.traineddata.gz" > "$tmp/chi_sim.traineddata"
mv "$tmp/chi_sim.traineddata" "$model"
echo "fetch-models: $model" >&2
