#!/usr/bin/env bash
# Property-based check of our JSON API against its own OpenAPI 3.1 description, with schemathesis.
#
# Usage: bash tests/compat/schema.sh URL [MAX_EXAMPLES] [EXTRA SCHEMATHESIS ARGS...]
#   URL           our server on loopback, e.g. http://127.0.0.1:8080 (the schema is URL/api/openapi.json)
#   MAX_EXAMPLES  generated cases per operation in the fuzzing phase (default 30)
# Environment: COMPAT_VENV (default: var/venv of this repository, made by scripts/compat-venv.sh)
#              or SCHEMATHESIS (the schemathesis command itself).
#
# Only GET operations are exercised (no writes). Every request goes to URL's origin, whatever the
# schema's `servers` say, and URL must be a loopback address. Checks: no 5xx
# (not_a_server_error), documented status codes (status_code_conformance) and bodies matching
# the documented schema (response_schema_conformance). The seed is fixed, so a run is
# reproducible; the exit status is non-zero when a check fails or the schema cannot be loaded.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 URL [MAX_EXAMPLES] [EXTRA SCHEMATHESIS ARGS...]" >&2
    exit 2
fi
URL=${1%/}
MAX_EXAMPLES=${2:-30}
shift
if [ $# -gt 0 ]; then shift; fi

if ! [[ $URL =~ ^https?://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost|\[::1\])(:[0-9]+)?$ ]]; then
    echo "schema.sh: URL must be scheme://loopback-host[:port] without a path, got '$URL'" >&2
    exit 2
fi
if ! [[ $MAX_EXAMPLES =~ ^[1-9][0-9]*$ ]]; then
    echo "schema.sh: MAX_EXAMPLES must be a positive integer, got '$MAX_EXAMPLES'" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${COMPAT_VENV:-$ROOT/var/venv}
ST=${SCHEMATHESIS:-$VENV/bin/schemathesis}
if ! [ -x "$ST" ]; then
    echo "schema.sh: $ST not found; run: bash scripts/compat-venv.sh" >&2
    exit 2
fi

# Loopback only: no proxy for it, and nothing else is contacted.
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

# Our own configuration, so that no schemathesis.toml found in a parent folder applies. The
# coverage phase would by default also send PUT, POST, DELETE, PATCH, OPTIONS, TRACE and QUERY to
# every selected path to probe for 405; switched off: this run sends GET requests only.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/schemathesis-compat.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CONFIG=$WORK/schemathesis.toml
# Hypothesis keeps its caches in ./.hypothesis unless told otherwise.
export HYPOTHESIS_STORAGE_DIRECTORY=$WORK/hypothesis
# No crash cache either: it would write .schemathesis/ into the working directory (the failure
# output still prints a curl command for every failing case).
cat >"$CONFIG" <<'TOML'
[cache]
enabled = false

[phases.coverage]
unexpected-methods = []
TOML

echo "schemathesis $("$ST" --version 2>&1 | awk '{print $NF}') against $URL/api/openapi.json, GET only, $MAX_EXAMPLES examples per operation"
"$ST" --config-file "$CONFIG" run "$URL/api/openapi.json" \
    --origin "$URL" \
    --include-method GET \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed 20260821 \
    --generation-database none \
    --request-timeout 10 \
    --max-redirects 0 \
    --wait-for-schema 30 \
    --workers 1 \
    "$@"
