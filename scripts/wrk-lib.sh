# Helpers shared by the HTTP benchmarks (sourced, not run): wrk installed when missing, a Lua
# script that requests random lines of a file, a run that prints one tab-separated result row,
# and the table of rows with their ratio to the first (the baseline of the same run).
# Sourced from the repository's root with the seconds per scenario as its argument: sets SECS,
# CONNS (64), BIN (the release binary) and SHARED (the shared data), checks both exist, and
# makes the scratch folder WORK.

SECS=${1:-10}
CONNS=64
BIN=${DAILYPAPERS_BIN:-target/release/dailypapers}
# Not passed on: the binary reads every DAILYPAPERS_* variable as configuration and refuses
# unknown keys.
unset DAILYPAPERS_BIN
SHARED=${SHARED:-../shared/data}
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release -p dailypapers first" >&2; exit 1; }
[ -d "$SHARED/hf-daily/days" ] || { echo "no shared data at $SHARED" >&2; exit 1; }
WORK=$(mktemp -d)

if ! command -v wrk >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -q wrk >/dev/null
fi

lua() { # lua FILE NAME PREFIX SUFFIX: a wrk script requesting PREFIX..line..SUFFIX for random lines of FILE
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

wrk_row() { # wrk_row NAME OUTFILE...: one row (req/s summed, p50 and p99 the worst) from wrk outputs
    python3 - "$@" <<'PY'
import re, sys
name, files = sys.argv[1], sys.argv[2:]
def ms(text, p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps, p50, p99, errors, sock = 0.0, 0.0, 0.0, 0, []
for f in files:
    text = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50, p99 = max(p50, ms(text, 50)), max(p99, ms(text, 99))
    e = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(e.group(1)) if e else 0
    s = re.search(r"Socket errors: (.*)", text)
    if s: sock.append(s.group(1))
print(f"{name}\t{rps:.0f}\t{p50:.2f}\t{p99:.2f}\t{errors}\t{'; '.join(sock)}")
PY
}

slug() { echo "$1" | tr -c 'A-Za-z0-9\n' '_'; }

run() { # run NAME [wrk args...]: a 3 s warm-up (caches filled, not reported), then the run
    local name=$1 out; shift
    out="$WORK/$(slug "$name")"
    if [ "${WARMUP:-1}" != 0 ]; then wrk -t2 -c"$CONNS" -d3s "$@" >/dev/null 2>&1; fi
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$@" >"$out.out" 2>&1
    wrk_row "$name" "$out.out"
}

run_spread() { # run_spread NAME URL1 URL2 [wrk args...]: CONNS split over two servers at once
    local name=$1 a=$2 b=$3 out w; shift 3
    local half=$((CONNS / 2))
    out="$WORK/$(slug "$name")"
    # `wait $w`, not `wait`: the caller's servers are background jobs too.
    if [ "${WARMUP:-1}" != 0 ]; then
        wrk -t1 -c$half -d3s "$@" "$a" >/dev/null 2>&1 & w=$!
        wrk -t1 -c$half -d3s "$@" "$b" >/dev/null 2>&1; wait $w
    fi
    wrk -t1 -c$half -d"${SECS}s" --latency "$@" "$a" >"$out.a.out" 2>&1 & w=$!
    wrk -t1 -c$half -d"${SECS}s" --latency "$@" "$b" >"$out.b.out" 2>&1
    wait $w
    wrk_row "$name" "$out.a.out" "$out.b.out"
}

table() { # table RESULTS.tsv: the rows with their ratio to the first
    python3 - "$1" "$CONNS" "$SECS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
base = float(rows[0][1])
print(f"{sys.argv[2]} connections, {sys.argv[3]} s per scenario, wrk on the same 2 cores")
print(f"{'scenario':<34} {'req/s':>9} {'x base':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  socket errors")
for name, rps, p50, p99, err, sock in rows:
    print(f"{name:<34} {float(rps):>9.0f} {float(rps)/base:>7.2f} {float(p50):>8.2f} {float(p99):>8.2f} {err:>8}  {sock}")
PY
}
