#!/usr/bin/env bash
# Starts every local stand-in (Azurite Blob, the Service Bus peer) and writes
# RUNDIR/env, a file of KEY=VALUE lines that tests and the demo read:
#   DEVENV_BLOB_CONNECTION_STRING, DEVENV_SERVICEBUS_CONNECTION_STRING, DEVENV_RUNDIR
# and the handler settings that match them (scripts/settings.js):
# RUNDIR/handler.env (sourceable) and RUNDIR/local.settings.json (Core Tools).
# Installs the pinned npm packages first when they are missing or stale.
# Usage: up.sh [RUNDIR]   (default devenv/.run)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
run=${1:-$here/.run}
mkdir -p "$run"
run=$(cd "$run" && pwd)
"$here/scripts/npm-install.sh"
"$here/scripts/down.sh" "$run" >/dev/null 2>&1 || true
blob=$("$here/scripts/azurite-start.sh" "$run")
sb=""
if [ -x "$here/sbpeer/start.sh" ]; then
  sb=$("$here/sbpeer/start.sh" "$run")
fi
{
  echo "DEVENV_RUNDIR=$run"
  echo "DEVENV_BLOB_CONNECTION_STRING=$blob"
  echo "DEVENV_SERVICEBUS_CONNECTION_STRING=$sb"
  [ -f "$run/sbpeer.control" ] && echo "DEVENV_SERVICEBUS_CONTROL=http://127.0.0.1:$(cat "$run/sbpeer.control")"
} > "$run/env"
echo "local services up (details in $run/env):"
echo "  blob (Azurite)   127.0.0.1:$(cat "$run/azurite.port")"
[ -n "$sb" ] && echo "  service bus peer 127.0.0.1:$(cat "$run/sbpeer.port")"
if [ "${QUIET_SETTINGS:-}" != 1 ]; then
  echo
  echo "handler settings for these services ($run/handler.env; Core Tools: $run/local.settings.json):"
  node "$here/scripts/settings.js" "$run"
else
  node "$here/scripts/settings.js" "$run" >/dev/null
fi
exit 0
