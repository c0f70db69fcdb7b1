#!/usr/bin/env bash
# ctest's entry to the browser test (tests/CMakeLists.txt): runs tests/browser/serve_page.mjs with
# Node. Exit 77 (skipped) comes only from the script itself, when chromium cannot run here or the
# data set is missing; a missing node or playwright-core is a failure with the command to fix it.
#   tests/browser/run.sh COFI_BINARY ARTIFACT_DIR [KINDS]
# KINDS (comma-separated model kinds) defaults to all five.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v node >/dev/null; then
  echo "browser test: FAILED: node is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
exec node "$here/serve_page.mjs" --cofi "$1" --out "$2" ${3:+--kinds "$3"}
