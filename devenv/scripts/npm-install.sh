#!/usr/bin/env bash
# Installs devenv's pinned npm packages with `npm ci` unless node_modules was
# already installed from this exact package-lock.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
command -v npm >/dev/null || { echo "npm is required (Node.js 20+): apt-get install nodejs npm" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-sha256 2>/dev/null)" = "$want" ]; then exit 0; fi
echo "installing local services (npm ci in devenv/)…" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > node_modules/.lock-sha256
