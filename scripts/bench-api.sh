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
SECS=${1:-10}
CONNS=64
BIN=${DAILYPAPERS_BIN:-target/release/dailypapers}
SHARED=${SHARED:-../shared/data}
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release -p dailypapers first" >&2; exit 1; }
[ -d "$SHARED/hf-daily/days" ] || { echo "no shared data at $SHARED" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -q wrk >/dev/null
fi

WORK=$(mktemp -d)
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

lua() { # lua FILE PREFIX SUFFIX: requests PREFIX..line..SUFFIX for random lines of FILE
    cat > "$WORK/$2.lua" <<LUA
local lines = {}
for l in io.lines("$1") do lines[#lines + 1] = l end
math.randomseed(42)
request = function()
  return wrk.format("GET", "$3" .. lines[math.random(#lines)] .. "$4")
end
LUA
    echo "$WORK/$2.lua"
}

echo "== starting the server (SQLite, keyword search, no API budget)"
DAILYPAPERS_LOG=warn DAILYPAPERS_COMMUNITY__API_REQUESTS_PER_MINUTE=0 \
    "$BIN" --data-dir "$WORK" serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
# Let the keyword index finish its start-up build (it competes for the same cores).
sleep 20

run() { # run NAME [wrk args...]: a 3 s warm-up (caches filled, not reported), then the run
    local name=$1; shift
    if [ "${WARMUP:-1}" != 0 ]; then wrk -t2 -c$CONNS -d3s "$@" >/dev/null 2>&1; fi
    wrk -t2 -c$CONNS -d"${SECS}s" --latency "$@" >"$WORK/$name.out" 2>&1
    python3 - "$WORK/$name.out" "$name" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def ms(p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"{sys.argv[2]}\t{rps:.0f}\t{ms(50):.2f}\t{ms(99):.2f}\t{errors.group(1) if errors else 0}\t{sock.group(1) if sock else ''}")
PY
}

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
python3 - "$WORK/results.tsv" "$CONNS" "$SECS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
base = float(rows[0][1])
print(f"{sys.argv[2]} connections, {sys.argv[3]} s per scenario, wrk -t2 on the same 2 cores")
print(f"{'scenario':<24} {'req/s':>9} {'x base':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  socket errors")
for name, rps, p50, p99, err, sock in rows:
    print(f"{name:<24} {float(rps):>9.0f} {float(rps)/base:>7.2f} {float(p50):>8.2f} {float(p99):>8.2f} {err:>8}  {sock}")
PY
echo "server RSS ${RSS} MiB (peak ${HWM} MiB)"
