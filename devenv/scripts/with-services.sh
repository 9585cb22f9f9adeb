#!/usr/bin/env bash
# Runs a command with the local stand-ins up, and stops them afterwards even
# when the command fails or is interrupted. Usage: with-services.sh RUNDIR CMD…
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=${1:?usage: with-services.sh RUNDIR CMD...}
shift
trap '"$here/down.sh" "$run" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
"$here/up.sh" "$run" || exit 1
# Tests and the demo read the connection strings from $run/env (devenv/devtest).
export DEVENV_RUNDIR="$run"
"$@"
