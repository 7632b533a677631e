#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when missing, starts a throwaway cluster on
# 127.0.0.1:$PGPORT (default 54329) with trust authentication, and prints its URL.
# Usage: export DAILYPAPERS_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
#        bash .ci/postgres.sh stop|start   (stop, or start again, the cluster at $PGPORT/$PGDATA_DIR)
set -euo pipefail
MODE="${1:-fresh}"
PGPORT="${PGPORT:-54329}"
DATA="${PGDATA_DIR:-/tmp/dailypapers-pg-$PGPORT}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

start() {
    # fsync off: a throwaway test cluster, faster tests; never do this for real data.
    as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w start -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\"" >&2
}

case "$MODE" in
    stop) as_pg "'$BIN/pg_ctl' -D '$DATA' -m fast -w stop" >&2; exit 0 ;;
    start) start; exit 0 ;;
esac

if ! "$BIN/pg_isready" -h 127.0.0.1 -p "$PGPORT" -q; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
    as_pg "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust -E UTF8" >&2
    start
fi
echo "postgres://postgres@127.0.0.1:$PGPORT/postgres"
