#!/usr/bin/env bash
# Installs the npm packages of the browser test (tests/browser/package.json, versions pinned in
# its package-lock.json) into tests/browser/node_modules with `npm ci`: playwright-core only, which
# drives Debian's chromium and downloads no browser. Idempotent: when node_modules was installed
# from the same lock file it does nothing and needs no network. Needs node and npm
# (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser"

stamp=node_modules/.cofi-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "install-npm-deps: npm ci in tests/browser (playwright-core)"
# No browser download: the test uses Debian's chromium.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
