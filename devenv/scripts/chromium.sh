#!/usr/bin/env bash
# Makes sure headless Chromium is installed before `make test`: the report
# page's browser tests (devenv/browser) need it, and under make test a
# missing browser fails them rather than skipping. Installs Debian's
# chromium package when it runs as root with apt-get; otherwise says what
# to install and fails.
set -euo pipefail
for c in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$c" >/dev/null; then exit 0; fi
done
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Chromium is missing: installing Debian's chromium package (for the report page's browser tests)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2
  exit 0
fi
echo "Chromium is not installed and this user cannot install it: run 'sudo apt-get install --no-install-recommends chromium' (the report page's browser tests need it)" >&2
exit 1
