#!/usr/bin/env bash
# The API benchmark of the API issue: GET /api/daily_papers?date=... and GET /api/papers/{id}
# under 64 concurrent keep-alive connections on loopback, with the 80,317 shared papers imported
# (the 580 Hugging Face days and the arXiv cs.* bulk file). Load comes from wrk (Debian's
# package; installed when missing), which spends far less CPU than the server, on the same two
# cores. Prints requests/s and latency percentiles per scenario, and each as a ratio of the
# baseline /healthz (no database, no JSON) measured in the same run.
#
# Usage: bash scripts/bench-api.sh [SECONDS_PER_SCENARIO]   (default 10; needs a release build:
#        cargo build --release -p dailypapers)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/wrk-lib.sh "${1:-10}"
PORT=$((20000 + RANDOM % 20000))
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== importing the shared papers into a fresh SQLite store"
DAILYPAPERS_LOG=warn "$BIN" --data-dir "$WORK" import "$SHARED/hf-daily/days" \
    "$SHARED"/arxiv-bulk/*.jsonl.gz >/dev/null
DB="$WORK/dailypapers.sqlite"
[ -f "$DB" ] || DB=$(ls "$WORK"/*.sqlite | head -1)
python3 - "$DB" "$WORK" <<'PY'
import sqlite3, sys
db, work = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
ids = [r[0] for r in c.execute("SELECT id FROM papers")]
listed = [r[0] for r in c.execute("SELECT DISTINCT paper_id FROM feed_entries")]
days = [r[0] for r in c.execute("SELECT DISTINCT day FROM feed_entries")]
for name, rows in (("ids", ids), ("listed", listed), ("days", days)):
    open(f"{work}/{name}.txt", "w").write("\n".join(rows) + "\n")
print(f"{len(ids)} papers, {len(listed)} on lists, {len(days)} days")
PY


echo "== starting the server (SQLite, keyword search, no API budget)"
DAILYPAPERS_LOG=warn DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE=0 \
    "$BIN" --data-dir "$WORK" serve --harvest-every 0 --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
# Let the keyword index finish its start-up build (it competes for the same cores).
sleep 20

URL="http://127.0.0.1:$PORT"
{
    run baseline_healthz "$URL/healthz"
    run daily_papers_by_date -s "$(lua "$WORK/days.txt" days "/api/daily_papers?date=" "")" "$URL"
    run paper_listed -s "$(lua "$WORK/listed.txt" listed "/api/papers/" "")" "$URL"
    run paper_any_of_80k -s "$(lua "$WORK/ids.txt" ids "/api/papers/" "")" "$URL"
} >"$WORK/results.tsv"
RSS=$(awk '/VmRSS/ {print $2/1024}' /proc/$PID/status)
HWM=$(awk '/VmHWM/ {print $2/1024}' /proc/$PID/status)
echo
table "$WORK/results.tsv"
echo "server RSS ${RSS} MiB (peak ${HWM} MiB)"
