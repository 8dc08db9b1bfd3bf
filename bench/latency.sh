#!/bin/sh
# What a no-change task costs over rplay's SSH connection on a link with added latency.
#
# Boots one light rlab host behind a forwarder adding LATENCY ms of round-trip time, then
# (examples/conn_latency.rs) measures bare SSH round trips on the connection (keepalive
# request/reply, median of 21) and runs COUNT `stat` probes in sequence through the pool.
# Target: a no-change command costs <= 1.2 round trips.
#
# Usage: bench/latency.sh [LATENCY_MS=50] [COUNT=100]
set -eu
LATENCY=${1:-50}
COUNT=${2:-100}
LAB=connbench
cd "$(dirname "$0")/.."
cargo build -q --bin rlab --example conn_latency
RLAB=target/debug/rlab
trap '$RLAB --lab $LAB down >/dev/null 2>&1 || true' EXIT
$RLAB --lab $LAB up 1 --light --latency "$LATENCY" >/dev/null 2>&1
STATE=/var/lib/rlab/$LAB/state.json
PORT=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$STATE" | head -1)
KEY=$(sed -n 's/.*"key": "\([^"]*\)".*/\1/p' "$STATE" | head -1)
KH=$(sed -n 's/.*"known_hosts": "\([^"]*\)".*/\1/p' "$STATE" | head -1)
OUT=$(target/debug/examples/conn_latency "$PORT" "$KEY" "$KH" "$COUNT")
echo "added_latency_ms $LATENCY"
echo "$OUT"
PER=$(echo "$OUT" | sed -n 's/^per_command_ms //p')
[ "$LATENCY" -gt 0 ] || exit 0
awk -v per="$PER" -v rtt="$LATENCY" -v n="$COUNT" 'BEGIN {
  ratio = per / rtt
  printf "versus added latency: %.3f round trips per command, %d commands = %.1f round trips (target <= 1.2 x %d)\n", ratio, n, ratio * n, n
  exit (ratio <= 1.2 ? 0 : 1)
}'
