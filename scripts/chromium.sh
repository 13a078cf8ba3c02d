#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed, for the dashboard's browser test
# (test/integration/dashboard-browser.test.ts, driven by puppeteer-core). Quiet
# and idempotent: prints the browser's path and exits at once when it is there;
# otherwise, as root, `apt-get install`s it (about 300 MB; `apt-get update`
# first only when the package lists do not know it), and prints apt's last
# lines only when that fails. CHROMIUM_PATH names another browser binary.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if [ -n "${CHROMIUM_PATH:-}" ]; then echo "CHROMIUM_PATH=$bin is not an executable" >&2; exit 1; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is not installed and this is not root: run 'apt-get install chromium' (Debian) or set CHROMIUM_PATH" >&2
  exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# Another apt run (another worker, unattended upgrades) holds the lock for a while: wait for it.
apt_get() { apt-get -q -y -o DPkg::Lock::Timeout=900 "$@" >>"$log" 2>&1; }
if ! apt-cache show chromium >/dev/null 2>&1; then apt_get update || true; fi
# No recommends: headless needs no notification daemon or printer setup; fonts come from fontconfig's.
if ! apt_get install --no-install-recommends chromium; then
  apt_get update || true
  if ! apt_get install --no-install-recommends chromium; then
    echo "apt-get install chromium failed:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
[ -x "$bin" ] || { echo "chromium installed, but $bin is missing" >&2; exit 1; }
echo "$bin"
