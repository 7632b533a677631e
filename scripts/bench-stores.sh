#!/usr/bin/env bash
# The store benchmark of the PostgreSQL issue, in one run: the same data (the 580 Hugging Face
# days and the arXiv cs.* bulk file, 84,609 records, 80,317 papers) and the same load on SQLite
# and on PostgreSQL. Prints import records/s for each store, then requests/s with p50 and p99
# for a day page (`/papers/date/D`) and `GET /api/daily_papers?date=D` (D a random archived day)
# at 64 connections on: one server on SQLite, one server on PostgreSQL, and two servers sharing
# that PostgreSQL database (connections split over both). Every row shows its ratio to
# `/healthz` (no database) measured in the same run.
#
# PostgreSQL: a throwaway cluster from Debian's packages on 127.0.0.1:$PGPORT (default 54331,
# started by .ci/postgres.sh; fsync off, as in the tests). Everything (servers, database, wrk)
# shares this machine's cores.
#
# Usage: bash scripts/bench-stores.sh [SECONDS_PER_SCENARIO]   (default 10; needs a release
#        build: cargo build --release -p dailypapers)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/wrk-lib.sh "${1:-10}"
export PGPORT=${PGPORT:-54331} PGDATA_DIR=${PGDATA_DIR:-/tmp/dailypapers-bench-pg-54331}
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    bash .ci/postgres.sh stop >/dev/null 2>&1 || true
    rm -rf "$WORK" "$PGDATA_DIR"
}
trap cleanup EXIT

PG_BASE=$(bash .ci/postgres.sh)
DB="bench_$$"
psql -q "$PG_BASE" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="${PG_BASE%/*}/$DB"
SQLITE_URL="sqlite://$WORK/sqlite/dailypapers.sqlite"
mkdir -p "$WORK/sqlite" "$WORK/pg1" "$WORK/pg2"
RECORDS=$(python3 - "$SHARED" <<'PY'
import glob, gzip, json, sys
days = sum(len(json.load(gzip.open(f))) for f in glob.glob(f"{sys.argv[1]}/hf-daily/days/*.json.gz"))
bulk = sum(1 for f in glob.glob(f"{sys.argv[1]}/arxiv-bulk/*.jsonl.gz") for _ in gzip.open(f))
print(days + bulk)
PY
)

import_into() { # import_into NAME URL DATA_DIR: prints NAME, seconds, records/s
    local t0 t1
    t0=$(date +%s.%N)
    DAILYPAPERS_LOG=warn "$BIN" --data-dir "$3" --database-url "$2" import "$SHARED/hf-daily/days" \
        "$SHARED"/arxiv-bulk/*.jsonl.gz >/dev/null 2>&1
    t1=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[3])-float(sys.argv[2]); print(f'{sys.argv[1]:<12} {s:6.2f} s  {int(sys.argv[4])/s:8.0f} records/s')" \
        "$1" "$t0" "$t1" "$RECORDS"
}
echo "== import of the shared data ($RECORDS records), each into a fresh store"
import_into SQLite "$SQLITE_URL" "$WORK/sqlite"
import_into PostgreSQL "$PG_URL" "$WORK/pg1"

python3 - "$WORK/sqlite/dailypapers.sqlite" "$WORK/days.txt" <<'PY'
import sqlite3, sys
days = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT DISTINCT day FROM feed_entries")]
open(sys.argv[2], "w").write("\n".join(days) + "\n")
PY

start() { # start DATA_DIR URL PORT: a release server, no API budget; returns when ready
    DAILYPAPERS_LOG=warn DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE=0 \
        "$BIN" --data-dir "$1" --database-url "$2" serve --harvest-every 0 --listen "127.0.0.1:$3" >"$1/serve.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$3/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "server on $3 did not start" >&2; cat "$1/serve.log" >&2; exit 1
}
P=$((20000 + RANDOM % 20000))
start "$WORK/sqlite" "$SQLITE_URL" $P
start "$WORK/pg1" "$PG_URL" $((P + 1))
start "$WORK/pg2" "$PG_URL" $((P + 2))
# Let the three keyword indexes finish their start-up builds (they compete for the same cores;
# 30 s was too short: the first rows came out at a third of their speed).
sleep 60

S="http://127.0.0.1:$P" A="http://127.0.0.1:$((P + 1))" B="http://127.0.0.1:$((P + 2))"
DAY=$(lua "$WORK/days.txt" day "/papers/date/" "")
API=$(lua "$WORK/days.txt" api "/api/daily_papers?date=" "")
{
    run "healthz (baseline)" "$S/healthz"
    run "SQLite day page" -s "$DAY" "$S"
    run "SQLite /api/daily_papers" -s "$API" "$S"
    run "PostgreSQL day page" -s "$DAY" "$A"
    run "PostgreSQL /api/daily_papers" -s "$API" "$A"
    run_spread "2 servers, 1 PostgreSQL: day page" "$A" "$B" -s "$DAY"
    run_spread "2 servers, 1 PostgreSQL: API" "$A" "$B" -s "$API"
} >"$WORK/results.tsv"
echo
table "$WORK/results.tsv"
for p in "${PIDS[@]}"; do
    echo "server $p RSS $(awk '/VmRSS/ {print $2/1024}' /proc/$p/status) MiB (peak $(awk '/VmHWM/ {print $2/1024}' /proc/$p/status) MiB)"
done
