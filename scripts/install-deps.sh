#!/usr/bin/env bash
# Installs the Debian packages cofi builds and tests with. Idempotent: it asks apt only for what
# is missing, so a second run does nothing and needs no network. Run as root, or with sudo on PATH.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfast-float-dev libeigen3-dev
  libcurl4-openssl-dev libssl-dev libzip-dev zlib1g-dev
  clang libclang-rt-14-dev
  zip
  # cofi serve's HTTP transport; the browser test's browser; the serve load benchmark's client.
  libcpp-httplib-dev chromium wrk
)
# The browser test runs on Node (>= 18, for playwright-core 1.61): Debian's unless one is there
# already (a NodeSource node brings its own npm, and Debian's npm would conflict with it).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
