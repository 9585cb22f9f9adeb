#!/usr/bin/env bash
# Starts the Service Bus peer on a free 127.0.0.1 port with a fresh random key
# and prints its connection string (one line). Writes RUNDIR/sbpeer.pid,
# sbpeer.port, sbpeer.control (the control API's port, see control.js) and
# sbpeer.log.
# Queues: "remediation" and SBPEER_QUEUES (default also the app's default
# queue, aircall-sso-remediation). Stop it with scripts/stop.sh RUNDIR sbpeer.
# Usage: start.sh RUNDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=${1:?usage: start.sh RUNDIR}
mkdir -p "$run"
run=$(cd "$run" && pwd)
[ -d "$here/../node_modules/rhea" ] || { echo "rhea is not installed: run devenv/scripts/npm-install.sh (make dev-up does)" >&2; exit 1; }
key=$(head -c 32 /dev/urandom | base64)
rm -f "$run/sbpeer.port" "$run/sbpeer.control"
SBPEER_KEY="$key" SBPEER_KEY_NAME=devenv SBPEER_RUNDIR="$run" \
  SBPEER_QUEUES="${SBPEER_QUEUES:-aircall-sso-remediation}" \
  nohup node "$here/peer.js" >"$run/sbpeer.log" 2>&1 &
echo $! > "$run/sbpeer.pid"
for _ in $(seq 1 100); do
  if [ -s "$run/sbpeer.port" ]; then
    port=$(cat "$run/sbpeer.port")
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
      echo "Endpoint=sb://127.0.0.1:$port;SharedAccessKeyName=devenv;SharedAccessKey=$key;UseDevelopmentEmulator=true"
      exit 0
    fi
  fi
  kill -0 "$(cat "$run/sbpeer.pid")" 2>/dev/null || break
  sleep 0.1
done
echo "the Service Bus peer did not start within 10 s; log: $run/sbpeer.log" >&2
cat "$run/sbpeer.log" >&2
exit 1
