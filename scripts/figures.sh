#!/usr/bin/env bash
# figures.sh: the README's throughput table, one run of the load generator per
# setup of the local stack, each on a fresh data directory: the dev server and
# the Temporal server (TEMPORAL_MODE=server, 4 history shards), with one and
# two replicas of each worker. `make figures` runs it; ORDERS and CONCURRENCY
# size the runs, SETUPS picks some (e.g. "dev-1 server-2"), OUT is where
# each run's JSON report and the stack's log go.
set -euo pipefail
ORDERS=${ORDERS:-200}
CONCURRENCY=${CONCURRENCY:-20}
OUT=${OUT:-.data/figures}
BIN=${BIN:-bin/orderflow}
mkdir -p "$OUT"

# Every listener of the stack on a loopback port of its own, 2xx00 apart from
# the defaults so a `make run` can go on beside it.
ports() {
  local base=$1
  echo POSTGRES_PORT=$((base+32)) REDIS_PORT=$((base+79)) KAFKA_PORT=$((base+92)) \
    TEMPORAL_PORT=$((base+33)) TEMPORAL_UI_PORT=$((base+34)) SANDBOX_PORT=$((base+10)) \
    API_PORT=$((base+80)) API_OPS_PORT=$((base+1)) FRONTEND_PORT=$((base+0)) FRONTEND_OPS_PORT=$((base+4)) \
    WORKER_ORDERS_PORT=$((base+41)) WORKER_INVENTORY_PORT=$((base+42)) WORKER_NOTIFICATIONS_PORT=$((base+43)) WORKER_FULFILMENT_PORT=$((base+45)) \
    PROMETHEUS_PORT=$((base+90)) JAEGER_PORT=$((base+86)) OTLP_GRPC_PORT=$((base+17)) OTLP_HTTP_PORT=$((base+18))
}

run_setup() {
  local name=$1 mode=$2 replicas=$3 base=$4
  local data="$OUT/$name.data" env
  rm -rf "$data"
  env="$(ports "$base") ORDERFLOW_DATA_DIR=$data TEMPORAL_MODE=$mode TEMPORAL_HISTORY_SHARDS=4 DEV_WORKER_REPLICAS=$replicas RATE_LIMIT_PER_MINUTE=0"
  echo "== $name: TEMPORAL_MODE=$mode DEV_WORKER_REPLICAS=$replicas" >&2
  env $env "$BIN" dev >"$OUT/$name.log" 2>&1 &
  local dev=$!
  # The stack stops with the script, whatever ends it.
  trap "kill -INT $dev 2>/dev/null; wait $dev" EXIT
  local api="http://127.0.0.1:$((base+80))"
  local ready=
  for _ in $(seq 300); do
    # processes.json is written once every role has started.
    [ -f "$data/processes.json" ] && curl -sf "http://127.0.0.1:$((base+1))/readyz" >/dev/null 2>&1 && { ready=1; break; }
    kill -0 $dev 2>/dev/null || break
    sleep 1
  done
  [ -n "$ready" ] || { echo "$name: the stack did not become ready; see $OUT/$name.log" >&2; return 1; }
  # Stock for every order of the run, as the admin.
  local token
  token=$(curl -sf "$api/api/auth/login" -d '{"email":"admin@orderflow.local","password":"admin-demo-password"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  for sku in MUG-CERAMIC TSHIRT-BLK-M; do
    curl -sf -o /dev/null "$api/api/inventory/$sku/adjustments" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "{\"warehouse\":\"eu-west\",\"delta\":$ORDERS,\"reason\":\"load test\"}"
  done
  env $env API_URL="$api" TEMPORAL_ADDRESS="127.0.0.1:$((base+33))" \
    "$BIN" loadgen --orders "$ORDERS" --concurrency "$CONCURRENCY" --read 10s --json >"$OUT/$name.json"
  kill -INT $dev
  wait $dev || true
  trap - EXIT
}

# Each setup on ports of its own (22xxx, 23xxx, ...): a stack that is still
# letting go of its ports cannot stand in the way of the next.
base=22000
for setup in ${SETUPS:-dev-1 dev-2 server-1 server-2}; do
  run_setup "$setup" "${setup%-*}" "${setup##*-}" $base
  base=$((base+1000))
done
echo "reports in $OUT/*.json" >&2

# The README's table, one row per setup. CPU is milliseconds per order of
# each process (replicas of a role summed); the bare engine's own is after
# the slash.
command -v jq >/dev/null || { echo "jq is not installed: no table" >&2; exit 0; }
echo "| setup | orders/s | bare wf/s | ratio | p50 / p95 / p99 | transitions per order (bare) | CPU ms per order (bare): Temporal | PostgreSQL | api | workers | order read / static read |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for setup in ${SETUPS:-dev-1 dev-2 server-1 server-2}; do
  jq -r --arg setup "$setup" '
    def phase(n): .phases[] | select(.name == n);
    def cpu(p; re): [p.cpu[]? | select(.name | test(re)) | .ms_per_unit] | add // 0 | round;
    def s(ns): ns / 1e9 * 10 | round / 10;
    phase("bare") as $b | phase("orders") as $o | phase("read-order") as $r | phase("read-static") as $st |
    "| \($setup) | \($o.per_second * 10 | round / 10) | \($b.per_second * 10 | round / 10) | \($o.ratio * 100 | round) % | \(s($o.p50_ns)) / \(s($o.p95_ns)) / \(s($o.p99_ns)) s | \($o.transitions_per_unit * 10 | round / 10) (\($b.transitions_per_unit)) | \(cpu($o; "^temporal")) (\(cpu($b; "^temporal"))) | \(cpu($o; "^postgres")) (\(cpu($b; "^postgres"))) | \(cpu($o; "^api$")) | \(cpu($o; "^worker-")) | \($r.per_second | round) / \($st.per_second | round) req/s (\($r.ratio * 100 | round) %), p99 \($r.p99_ns / 1e6 | round) / \($st.p99_ns / 1e6 | round) ms |"
  ' "$OUT/$setup.json"
done
