#!/usr/bin/env bash
# `make sim`: the local services (unless already up) plus the Graph + Entra
# sign-in simulator (devenv/cmd/graphsim) in the background, and the handler
# settings that point at all of them (RUNDIR/handler.env, RUNDIR/local.settings.json),
# so each job can be run by hand:  . devenv/.run/handler.env && go run ./handler provision --dry-run
# Stop everything with `make dev-down`.
# Usage: sim.sh RUNDIR [graphsim flags…]   (default: -users 2000 -seed 42)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
run=${1:?usage: sim.sh RUNDIR [graphsim flags]}
shift
mkdir -p "$run"
run=$(cd "$run" && pwd)
"$here/scripts/status.sh" "$run" || QUIET_SETTINGS=1 "$here/scripts/up.sh" "$run" >/dev/null
"$here/scripts/stop.sh" "$run" graphsim
go build -o "$run/graphsim" "$here/cmd/graphsim"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-users 2000 -seed 42)
rm -f "$run/graphsim.json"
nohup "$run/graphsim" "${args[@]}" >"$run/graphsim.json" 2>"$run/graphsim.log" &
echo $! > "$run/graphsim.pid"
for _ in $(seq 1 100); do
  [ -s "$run/graphsim.json" ] && break
  kill -0 "$(cat "$run/graphsim.pid")" 2>/dev/null || { cat "$run/graphsim.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$run/graphsim.json" ] || { echo "the Graph simulator did not start within 10 s: $run/graphsim.log" >&2; exit 1; }
echo "Graph simulator at $(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$run/graphsim.json") (pid $(cat "$run/graphsim.pid")); Azurite and the Service Bus peer as in $run/env"
echo
echo "handler settings ($run/handler.env; Core Tools: $run/local.settings.json):"
node "$here/scripts/settings.js" "$run"
echo
echo "run a job:  set -a; . $run/handler.env; set +a; go run ./handler provision --dry-run"
