#!/usr/bin/env bash
# Runs every Fuzz* target in the module for a short time each (default 3s).
# Usage: fuzz-all.sh [FUZZTIME]
set -euo pipefail
t=${1:-3s}
cd "$(dirname "$0")/../.."
mapfile -t lines < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' handler devenv 2>/dev/null | sort)
n=0
for f in "${lines[@]}"; do
  pkg="./$(dirname "$f")"
  for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | cut -d' ' -f2); do
    echo "fuzz $pkg $name ($t)"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; exit 1; }
    n=$((n+1))
  done
done
rm -f /tmp/fuzz.$$.log
echo "fuzz: $n targets ran for $t each, no failures"
