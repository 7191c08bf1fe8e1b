#!/usr/bin/env bash
# taxii_vs_peers.sh - one run of the shared TAXII 2.1 harness (../shared/bench/taxii_bench.py)
# against Phalanx on SQLite and on PostgreSQL, medallion and OpenTAXII, on this machine,
# then the side-by-side table.  One server at a time, each with an empty collection.
#
#   bash bench/taxii_vs_peers.sh                 # N=10000 for everyone, then 1,000,000 on Phalanx
#   N=1000 BIG=0 PEERS="" bash bench/taxii_vs_peers.sh     # a quick Phalanx-only run
#
# Environment: N (objects per run, default 10000), BIG (objects for the Phalanx-only scale
# run, default 1000000; 0 skips it), BIG_ENGINES (default "postgres sqlite"), PEERS (default "medallion opentaxii-sqlite opentaxii-pg"),
# WORK (default .bench/taxii), SHARED_BENCH (default ../shared/bench), PG_ADMIN_URL (a
# PostgreSQL database to create the bench database from, default the local test server),
# PHALANX_WORKERS (default 2: one per core), PHALANX_BENCH_PORT (default 8790).  Peers use the flags PEERS.md used at N=10,000.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
WORK=${WORK:-$ROOT/.bench/taxii}
N=${N:-10000}
BIG=${BIG:-1000000}
BIG_ENGINES=${BIG_ENGINES:-"postgres sqlite"}
PEERS=${PEERS-"medallion opentaxii-sqlite opentaxii-pg"}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
WORKERS=${PHALANX_WORKERS:-2}
PORT=${PHALANX_BENCH_PORT:-8790}
PHALANX="$ROOT/.venv/bin/phalanx"
PY="$ROOT/.venv/bin/python"
RESULTS="$WORK/results"
mkdir -p "$RESULTS"
log() { echo "[taxii_vs_peers] $*" >&2; }

bash "$SHARED/peers_setup.sh" "$WORK/peers" install
HARNESS_PY="$WORK/peers/venv-bench/bin/python"
HARNESS="$SHARED/taxii_bench.py"

fresh_store() {  # fresh_store sqlite|postgres -> prints the database URL of an empty store
  if [ "$1" = sqlite ]; then
    rm -f "$WORK/phalanx.db" "$WORK/phalanx.db-wal" "$WORK/phalanx.db-shm" "$WORK/phalanx.db.lock"
    echo "sqlite:///$WORK/phalanx.db"
  else
    "$PY" - "$PG_ADMIN_URL" <<'EOF'
import sys
from sqlalchemy import create_engine, text
admin = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with admin.connect() as conn:
    conn.execute(text('DROP DATABASE IF EXISTS "phalanx_bench" WITH (FORCE)'))
    conn.execute(text('CREATE DATABASE "phalanx_bench"'))
print(sys.argv[1].rsplit("/", 1)[0] + "/phalanx_bench")
EOF
  fi
}

run_phalanx() {  # run_phalanx LABEL ENGINE OBJECTS [HARNESS ARGS...]
  local label=$1 engine=$2 objects=$3 pid token pids
  shift 3
  export PHALANX_DATABASE_URL
  PHALANX_DATABASE_URL=$(fresh_store "$engine")
  "$PHALANX" db upgrade > /dev/null
  "$PHALANX" org create Bench --kind cert --country DE > /dev/null
  token=$("$PHALANX" key create --org Bench --role analyst --json |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
  setsid "$PHALANX" serve --port "$PORT" --workers "$WORKERS" > "$RESULTS/$label.server.log" 2>&1 &
  pid=$!
  # Every worker must serve before the harness connects: the first answers while the others
  # may still be starting, and a connection taken then stays on that one worker.
  for _ in $(seq 1 600); do
    if [ "$(grep -c 'Application startup complete' "$RESULTS/$label.server.log")" -ge "$WORKERS" ] &&
      curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1; then
      break
    fi
    sleep 0.1
  done
  pids=(--server-pid "$pid")
  if [ "$engine" = postgres ]; then  # count PostgreSQL's CPU too, as PEERS.md does for opentaxii-pg
    for p in $(pgrep -x postgres | head -1); do pids+=(--server-pid "$p"); done
  fi
  log "$label: $objects objects (server pid $pid)"
  # HTTP Basic: user = key id, password = secret (the token is phx_<key id>_<secret>).
  # "--password=": a secret may begin with "-", which argparse would read as an option.
  "$HARNESS_PY" "$HARNESS" --url "http://127.0.0.1:$PORT/taxii2/" \
    --user="$(cut -d_ -f2 <<< "$token")" --password="$(cut -d_ -f3- <<< "$token")" \
    --objects "$objects" --label "$label" "${pids[@]}" --json-out "$RESULTS/$label.json" \
    "$@" > "$RESULTS/$label.log" 2>&1 || log "$label: the harness failed (see $RESULTS/$label.log)"
  kill -TERM -- "-$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}

run_peer() {  # run_peer NAME [HARNESS ARGS...]
  local name=$1
  shift
  bash "$SHARED/peers_setup.sh" "$WORK/peers" start "$name"
  log "$name: $N objects"
  bash "$SHARED/peers_setup.sh" "$WORK/peers" bench "$name" --objects "$N" --label "$name" \
    --json-out "$RESULTS/$name.json" "$@" > "$RESULTS/$name.log" 2>&1 ||
    log "$name: the harness failed (see $RESULTS/$name.log)"
  bash "$SHARED/peers_setup.sh" "$WORK/peers" stop "$name"
}

run_phalanx phalanx-sqlite sqlite "$N"
run_phalanx phalanx-pg postgres "$N"
for peer in $PEERS; do
  case $peer in
    # medallion's polls are quadratic (PEERS.md): the flags its N=10,000 row was measured with.
    medallion) run_peer medallion --time-limit 900 --request-timeout 900 --lookups 200 \
      --skip incremental --concurrency 0 ;;
    *) run_peer "$peer" ;;
  esac
done
case " $PEERS " in *" opentaxii-pg "*) bash "$SHARED/peers_setup.sh" "$WORK/peers" stop pg || true ;; esac
if [ "$BIG" -gt 0 ]; then
  # The scale run the peers cannot hold: every object must come back once (0 missing, 0 dup).
  for engine in $BIG_ENGINES; do
    run_phalanx "phalanx-$engine-$BIG" "$engine" "$BIG" --lookups 1000 --concurrency 0 \
      --time-limit 3600 --request-timeout 900
  done
fi
"$HARNESS_PY" "$HARNESS" --report "$RESULTS"/*.json
