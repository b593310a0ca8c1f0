#!/usr/bin/env bash
# Feed ingest and roll-up benchmark, rerunnable:
#   1. ingest >= ROWS rows (whole business days of the standard demo province) from the feed
#      sandbox over HTTP into a scratch PostgreSQL database and into a scratch SQLite file,
#      then roll them up;
#   2. generate the demo province (400 days) into a scratch database and time the sync and
#      roll-up of one new business day.
# Scratch databases are created and dropped here. Needs a release build:
#   cargo build --release   (CARGO_TARGET_DIR is honoured)
set -euo pipefail

PG=${PG:-postgres://postgres@127.0.0.1:5432}
ROWS=${ROWS:-1000000}
PAGE=${PAGE:-10000}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/canmou}
SCRATCH=$(mktemp -d)
NAME=canmou_bench_$$

cleanup() {
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${NAME}_ingest WITH (FORCE)" >/dev/null 2>&1 || true
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${NAME}_day WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
export CANMOU_LOG__FILTER=${CANMOU_LOG__FILTER:-warn}

echo "== ingest $ROWS rows into PostgreSQL"
psql "$PG/postgres" -qc "CREATE DATABASE ${NAME}_ingest"
"$BIN" bench-ingest --database-url "$PG/${NAME}_ingest" --rows "$ROWS" --page-size "$PAGE"

echo "== ingest $ROWS rows into SQLite"
"$BIN" bench-ingest --database-url "sqlite://$SCRATCH/ingest.db" --rows "$ROWS" --page-size "$PAGE"

echo "== one new business day of the standard demo province (400 days of history), PostgreSQL"
psql "$PG/postgres" -qc "CREATE DATABASE ${NAME}_day"
CANMOU_DATABASE__URL="$PG/${NAME}_day" "$BIN" generate --scale standard
"$BIN" bench-ingest --database-url "$PG/${NAME}_day" --next-day --page-size "$PAGE"

echo "== one new business day of the standard demo province (400 days of history), SQLite"
CANMOU_DATABASE__URL="sqlite://$SCRATCH/day.db" "$BIN" generate --scale standard
"$BIN" bench-ingest --database-url "sqlite://$SCRATCH/day.db" --next-day --page-size "$PAGE"
