#!/usr/bin/env bash
# Stops every local stand-in started by up.sh. Usage: down.sh [RUNDIR]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
run=${1:-$here/.run}
[ -d "$run" ] || exit 0
"$here/scripts/stop.sh" "$run" graphsim
"$here/scripts/stop.sh" "$run" sbpeer
"$here/scripts/stop.sh" "$run" azurite
rm -f "$run/env" "$run/handler.env" "$run/local.settings.json" "$run/graphsim.json"
echo "local services stopped"
