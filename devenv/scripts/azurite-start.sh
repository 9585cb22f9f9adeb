#!/usr/bin/env bash
# Starts Azurite's Blob service on 127.0.0.1 on a free port, data in a fresh
# temporary folder, and prints the devstoreaccount1 connection string.
# Usage: azurite-start.sh RUNDIR   (writes RUNDIR/azurite.pid, .port, .log, .data/)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
run=${1:?usage: azurite-start.sh RUNDIR}
mkdir -p "$run"
bin="$here/node_modules/.bin/azurite-blob"
[ -x "$bin" ] || { echo "azurite is not installed: run 'npm ci' in devenv/ (make dev-up does)" >&2; exit 1; }
port=${AZURITE_PORT:-$("$here/scripts/freeport.sh")}
data=$(mktemp -d "${TMPDIR:-/tmp}/azurite.XXXXXX")
echo "$data" > "$run/azurite.data"
nohup "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$data" \
  --skipApiVersionCheck --disableTelemetry --silent --loose >"$run/azurite.log" 2>&1 &
echo $! > "$run/azurite.pid"
echo "$port" > "$run/azurite.port"
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
    echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
    exit 0
  fi
  sleep 0.1
done
echo "azurite did not start within 10 s; log: $run/azurite.log" >&2
cat "$run/azurite.log" >&2
exit 1
