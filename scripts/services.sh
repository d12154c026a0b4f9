#!/usr/bin/env bash
# Makes sure Redis answers at REDIS_URL and a MongoDB wire-protocol server at MONGO_URL.
# Reuses whatever already listens; otherwise starts redis-server, and mongod if installed, else
# FerretDB v1 (built once into GOPATH/bin) backed by the local PostgreSQL, or by SQLite without it.
# Idempotent and quick when everything is up.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${SCIM_SYNC_DATA_DIR:-$ROOT/.data}"
MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:27017/scim_sync}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
FERRETDB_VERSION="v1.24.2"
PG_URL="${FERRETDB_POSTGRESQL_URL:-postgres://postgres@127.0.0.1:5432/ferretdb}"

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# host and port of a URL such as mongodb://user:pw@host:port/db or redis://host:port
host_of() { local hp="${1#*://}"; hp="${hp##*@}"; hp="${hp%%/*}"; hp="${hp%%\?*}"; echo "${hp%%:*}"; }
port_of() { local hp="${1#*://}"; hp="${hp##*@}"; hp="${hp%%/*}"; hp="${hp%%\?*}"; [[ "$hp" == *:* ]] && echo "${hp##*:}" || echo "$2"; }
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { local what=$1 host=$2 port=$3 tries=${4:-60}; for _ in $(seq "$tries"); do listening "$host" "$port" && return 0; sleep 0.5; done; return 1; }
is_local() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }

mkdir -p "$DATA_DIR"

# --- Redis --------------------------------------------------------------------------------------
RH="$(host_of "$REDIS_URL")"; RP="$(port_of "$REDIS_URL" 6379)"
if listening "$RH" "$RP"; then
  say "redis: reusing $RH:$RP"
else
  is_local "$RH" || die "redis is not reachable at $RH:$RP and is not local, so it cannot be started here"
  if ! command -v redis-server >/dev/null; then
    say "redis: installing redis-server"
    (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) || die "redis-server is not installed and apt-get could not install it"
  fi
  mkdir -p "$DATA_DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$RP" --save "" --appendonly no \
    --dir "$DATA_DIR/redis" --logfile "$DATA_DIR/redis/redis.log" >/dev/null
  wait_for redis "$RH" "$RP" || die "redis-server did not start; see $DATA_DIR/redis/redis.log"
  say "redis: started on $RH:$RP"
fi

# --- MongoDB wire protocol ------------------------------------------------------------------------
MH="$(host_of "$MONGO_URL")"; MP="$(port_of "$MONGO_URL" 27017)"
if listening "$MH" "$MP"; then
  say "mongo: reusing $MH:$MP"
  exit 0
fi
is_local "$MH" || die "no MongoDB at $MH:$MP and it is not local, so it cannot be started here"

if command -v mongod >/dev/null; then
  mkdir -p "$DATA_DIR/mongod"
  mongod --dbpath "$DATA_DIR/mongod" --bind_ip 127.0.0.1 --port "$MP" --fork --logpath "$DATA_DIR/mongod/mongod.log" >/dev/null \
    || die "mongod did not start; see $DATA_DIR/mongod/mongod.log"
  wait_for mongo "$MH" "$MP" || die "mongod did not answer on $MH:$MP"
  say "mongo: started mongod on $MH:$MP"
  exit 0
fi

GOBIN_DIR="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
FERRETDB="$GOBIN_DIR/ferretdb"
if ! "$FERRETDB" --version >/dev/null 2>&1; then
  command -v go >/dev/null || die "neither mongod nor Go is installed, so no MongoDB wire server can be provided"
  say "mongo: building FerretDB $FERRETDB_VERSION (one time, about two minutes)"
  # `go install ...@v1.24.2` compiles, but the binary panics at start: the module ships without
  # build/version/version.txt, which its release tooling generates. So build from the module
  # source with that file written, the documented alternative (see its build/version package).
  GOFLAGS=-mod=mod go mod download -x "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >/dev/null 2>&1 || true
  SRC="$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION"
  if [ ! -d "$SRC" ]; then
    (cd "$(mktemp -d)" && go install "github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION") >/dev/null 2>&1 || true
  fi
  [ -d "$SRC" ] || die "could not download FerretDB $FERRETDB_VERSION from the Go module proxy"
  BUILD="$(mktemp -d)"
  cp -r "$SRC" "$BUILD/src" && chmod -R u+w "$BUILD/src"
  echo "$FERRETDB_VERSION" > "$BUILD/src/build/version/version.txt"
  mkdir -p "$GOBIN_DIR"
  (cd "$BUILD/src" && go build -o "$FERRETDB" ./cmd/ferretdb) || die "building FerretDB failed"
  rm -rf "$BUILD"
  "$FERRETDB" --version >/dev/null || die "the FerretDB binary does not run"
fi

FDIR="$DATA_DIR/ferretdb"
mkdir -p "$FDIR"
HANDLER_ARGS=()
if command -v psql >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  :
elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  say "postgresql: starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
  for _ in $(seq 20); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && break; sleep 0.5; done
fi
if command -v psql >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  DB="${PG_URL##*/}"; DB="${DB%%\?*}"
  PG_ADMIN="${PG_URL%/*}/postgres"
  if ! psql "$PG_ADMIN" -tAc "select 1 from pg_database where datname='$DB'" 2>/dev/null | grep -q 1; then
    psql "$PG_ADMIN" -qc "create database \"$DB\"" >/dev/null || die "could not create PostgreSQL database $DB"
  fi
  psql "$PG_URL" -q -v ON_ERROR_STOP=1 -v db="$DB" -f "$ROOT/scripts/ferretdb-postgres-indexes.sql" >/dev/null 2>&1 \
    || say "postgresql: could not install index twins (lookups will scan; tests still run)"
  # FerretDB v1 runs DDL (such as dropDatabase's DROP SCHEMA) while holding its in-process metadata
  # lock; if PostgreSQL makes that DDL wait for a lock held by a transaction that itself waits for the
  # metadata lock, FerretDB stops answering for good. Timeouts turn that deadlock into one failed call.
  psql "$PG_URL" -qc "ALTER DATABASE \"$DB\" SET lock_timeout = '20s'" \
    -c "ALTER DATABASE \"$DB\" SET idle_in_transaction_session_timeout = '60s'" >/dev/null 2>&1 \
    || say "postgresql: could not set lock timeouts on $DB"
  # FerretDB's own pool to PostgreSQL: when it is exhausted while a DDL holds FerretDB's metadata lock,
  # FerretDB v1 stops answering; a pool larger than all our clients' pools together avoids that.
  HANDLER_ARGS=(--handler=postgresql "--postgresql-url=$PG_URL?pool_max_conns=80")
  BACKEND="postgresql ($DB)"
else
  mkdir -p "$FDIR/sqlite"
  HANDLER_ARGS=(--handler=sqlite "--sqlite-url=file:$FDIR/sqlite/")
  BACKEND="sqlite ($FDIR/sqlite)"
fi

# setsid + nohup: the server outlives this script and the shell that ran it.
setsid nohup "$FERRETDB" "${HANDLER_ARGS[@]}" \
  --listen-addr="$MH:$MP" --state-dir="$FDIR" --debug-addr=127.0.0.1:0 \
  --telemetry=disable --log-level=warn --log-format=json \
  >>"$FDIR/ferretdb.log" 2>&1 < /dev/null &
wait_for mongo "$MH" "$MP" 60 || die "FerretDB did not start; see $FDIR/ferretdb.log"
say "mongo: started FerretDB $FERRETDB_VERSION on $MH:$MP, backed by $BACKEND"
