#!/usr/bin/env bash
# Stops a local service started by the start scripts, by the PID it recorded,
# and removes its data folder. Usage: stop.sh RUNDIR NAME   (NAME: azurite | sbpeer)
set -u
run=${1:?usage: stop.sh RUNDIR NAME}
name=${2:?usage: stop.sh RUNDIR NAME}
if [ -f "$run/$name.pid" ]; then
  pid=$(cat "$run/$name.pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$run/$name.pid"
fi
if [ -f "$run/$name.data" ]; then rm -rf "$(cat "$run/$name.data")"; rm -f "$run/$name.data"; fi
exit 0
