#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, bodies in crates/fuzzing) with cargo fuzz and
# libFuzzer for SECONDS each (default 600), PARALLEL at a time (default 1), then prints a table:
# executions, corpus size, and findings (crash or leak inputs left in fuzz/artifacts/<target>).
#
#   scripts/fuzz.sh [SECONDS]            # e.g. scripts/fuzz.sh 60 for a quick pass
#   PARALLEL=2 TARGETS="email arxiv_id" scripts/fuzz.sh 600
#
# Needs the nightly toolchain (rustup toolchain install nightly) and cargo-fuzz (installed from
# crates.io when missing). New inputs that reach new code are added to fuzz/corpus/<target>;
# shrink them with `cargo +nightly fuzz cmin <target>` before committing. A finding, once fixed,
# goes to fuzz/regressions/<target>/ so that CI replays it (crates/fuzzing/tests/it/main.rs).
set -euo pipefail
secs=${1:-600}
parallel=${PARALLEL:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --locked
fi
targets=${TARGETS:-$(cargo +nightly fuzz list)}
mkdir -p logs
echo "== building the targets (instrumented, release)"
: >logs/build.log
for t in $targets; do  # cargo fuzz build takes one target at a time
    cargo +nightly fuzz build -O "$t" >>logs/build.log 2>&1 || { tail -40 logs/build.log; exit 1; }
done

run_one() {
    local t=$1 secs=$2
    mkdir -p "corpus/$t" "artifacts/$t"
    # -max_len: the largest inputs the parsers meet in practice are far larger, but 64 KB finds
    # structure bugs faster. -rss_limit_mb: a target that grows past it is a finding too.
    cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"logs/$t.log" 2>&1 || true
}
export -f run_one
printf '%s\n' $targets | xargs -P "$parallel" -I{} bash -c "run_one {} $secs"

printf '\n| target | seconds | executions | exec/s | corpus | findings |\n|---|---:|---:|---:|---:|---:|\n'
for t in $targets; do
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(find "corpus/$t" -type f | wc -l)
    found=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$corpus" "$found"
done
