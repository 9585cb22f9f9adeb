#!/usr/bin/env bash
# Runs a command with the local stand-ins up. When `make dev-up` already
# started them in RUNDIR, the command uses those and leaves them running;
# otherwise they are started for the command and stopped afterwards, even when
# it fails or is interrupted. Usage: with-services.sh RUNDIR CMD…
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=${1:?usage: with-services.sh RUNDIR CMD...}
shift
if "$here/status.sh" "$run"; then
  echo "using the local services already running in $run (make dev-up); they stay up" >&2
else
  trap '"$here/down.sh" "$run" >/dev/null 2>&1' EXIT
  trap 'exit 130' INT TERM
  QUIET_SETTINGS=1 "$here/up.sh" "$run" || exit 1
fi
# Tests and the demo read the connection strings from $run/env (devenv/devtest).
export DEVENV_RUNDIR="$run"
"$@"
