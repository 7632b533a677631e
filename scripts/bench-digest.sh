#!/usr/bin/env bash
# The digest benchmark of the mail issue: full digest runs to 2,000 and 10,000 confirmed
# subscribers (one or two saved searches each) against a real SMTP server (aiosmtpd, counting
# only), next to raw SMTP sending of as many messages measured in the same run; messages/s and
# peak memory per size. Needs a release build and the venv (bash scripts/compat-venv.sh).
#
# Usage: bash scripts/bench-digest.sh [SIZES]   (default 2000,10000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-2000,10000}
BIN=${DAILYPAPERS_BIN:-target/release/dailypapers}
unset DAILYPAPERS_BIN # the binary would read it as an (unknown) configuration key
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release -p dailypapers first" >&2; exit 1; }
bash scripts/compat-venv.sh var/venv >/dev/null
WORK=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
var/venv/bin/python tests/compat/smtp_sink.py --port "$PORT" --dir "$WORK/mail" --count-only >"$WORK/sink.log" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q ready "$WORK/sink.log" 2>/dev/null && break; sleep 0.1; done
DAILYPAPERS_LOG=warn "$BIN" --data-dir "$WORK" bench digest --smtp-port "$PORT" --subscribers "$SIZES" \
    --shared "${SHARED:-../shared/data}"
echo "SMTP server accepted $(cat "$WORK/mail/count" 2>/dev/null || echo '?') messages in all"
