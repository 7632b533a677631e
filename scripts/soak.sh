#!/usr/bin/env bash
# The soak test of the hardening issue: MINUTES (default 30) of mixed load on one `serve`
# process, on SQLite and then on PostgreSQL (or only the BACKENDS named), each store filled with
# the shared data first (the 580 Hugging Face days and the arXiv cs.* bulk file).
#
# The load (dailypapers bench soak): 8 anonymous readers reading every page kind, feeds,
# searches and the API without pause; 50 signed-in readers voting, commenting and submitting
# about once a second each; and the server's own harvest every minute from a local server that
# replays recorded OAI-PMH and Hugging Face answers. Every minute it prints the server's RSS,
# open file descriptors, database size and error count; at the end the RSS slope after warm-up
# and whether every acknowledged write is in the store. It fails on any 5xx or missing write.
#
# Usage: bash scripts/soak.sh [MINUTES]       BACKENDS="sqlite" bash scripts/soak.sh 5
# Needs a release build (cargo build --release -p dailypapers); PostgreSQL comes from Debian's
# packages (.ci/postgres.sh starts a throwaway cluster on 127.0.0.1:$PGPORT, default 54332).
# Semantic search uses the model when `dailypapers fetch-model` (or scripts/fetch-model.sh) put
# it in var/models; without it searches are keyword-only.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
BACKENDS=${BACKENDS:-sqlite postgres}
BIN=${DAILYPAPERS_BIN:-target/release/dailypapers}
unset DAILYPAPERS_BIN
SHARED=${SHARED:-../shared/data}
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release -p dailypapers first" >&2; exit 1; }
[ -d "$SHARED/hf-daily/days" ] || { echo "no shared data at $SHARED" >&2; exit 1; }
WORK=$(mktemp -d)
export PGPORT=${PGPORT:-54332} PGDATA_DIR=${PGDATA_DIR:-/tmp/dailypapers-soak-pg-54332}
cleanup() {
    bash .ci/postgres.sh stop >/dev/null 2>&1 || true
    rm -rf "$WORK" "$PGDATA_DIR"
}
trap cleanup EXIT
MODEL=()
[ -f var/models/all-MiniLM-L6-v2/model.safetensors ] && MODEL=(--model-dir "$PWD/var/models/all-MiniLM-L6-v2")

failed=""
for backend in $BACKENDS; do
    dir="$WORK/$backend"
    mkdir -p "$dir"
    case $backend in
        sqlite) url="sqlite://$dir/dailypapers.sqlite" ;;
        postgres)
            base=$(bash .ci/postgres.sh)
            psql -q "$base" -c "CREATE DATABASE soak" >/dev/null
            url="${base%/*}/soak" ;;
        *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    echo "== $backend: importing the shared data"
    DAILYPAPERS_LOG=warn "$BIN" --data-dir "$dir" --database-url "$url" import \
        "$SHARED/hf-daily/days" "$SHARED"/arxiv-bulk/*.jsonl.gz >/dev/null
    if [ ${#MODEL[@]} -gt 0 ]; then
        export DAILYPAPERS_SEARCH__MODEL_DIR="${MODEL[1]}"
        DAILYPAPERS_LOG=warn "$BIN" --data-dir "$dir" --database-url "$url" import-vectors \
            "$SHARED"/vectors/*.f16 >/dev/null
    fi
    echo "== $backend: $MINUTES minutes of mixed load"
    # One backend's failure does not skip the next: both tables are wanted.
    if ! "$BIN" --data-dir "$dir" --database-url "$url" bench soak --minutes "$MINUTES" --shared "$SHARED"; then
        failed="$failed $backend"
    fi
done
[ -z "$failed" ] || { echo "soak failed on:$failed" >&2; exit 1; }
