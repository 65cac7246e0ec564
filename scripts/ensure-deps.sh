#!/usr/bin/env bash
# Installs the Debian packages ledgerline builds and runs with, and any named as
# arguments, when they are missing.
# As root it runs apt-get itself; otherwise it says exactly what to install.
set -euo pipefail

packages=(
  build-essential pkg-config clang libclang-dev   # DuckDB's C++ and bindgen
  tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng libtesseract-dev libleptonica-dev
  fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming fonts-wqy-zenhei   # page rendering
  chromium   # the review app's end-to-end tests drive it headless
  postgresql   # the load tests' PostgreSQL target (scripts/pg-test-server.sh, loopback only)
  libssl-dev openssl   # TLS to PostgreSQL servers; the test server's certificates
  curl ca-certificates   # scripts/fetch-models.sh
  "$@"   # what a caller needs besides (scripts/fuzz.sh: its page seeds' makers)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "ensure-deps: missing Debian packages: ${missing[*]}" >&2
    echo "ensure-deps: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "ensure-deps: cargo not found: install a Rust toolchain >= 1.88 (rustup), then re-run" >&2
  exit 1
fi

# The fuller chi_sim model OCR prefers for names and 性别 cells (npm registry, pinned).
"$(dirname "$0")/fetch-models.sh"
