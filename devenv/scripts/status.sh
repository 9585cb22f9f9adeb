#!/usr/bin/env bash
# Exits 0 when the local services of RUNDIR (started by up.sh, e.g. by
# `make dev-up`) are all running, 1 otherwise. Usage: status.sh RUNDIR
set -u
run=${1:?usage: status.sh RUNDIR}
[ -s "$run/env" ] || exit 1
for name in azurite sbpeer; do
  [ -f "$run/$name.pid" ] && kill -0 "$(cat "$run/$name.pid")" 2>/dev/null || exit 1
done
exit 0
