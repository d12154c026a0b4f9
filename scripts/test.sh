#!/usr/bin/env bash
# The whole test suite: dependencies, local Redis and MongoDB-wire server, type check, jest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
bash scripts/services.sh
# Few connections per test process: FerretDB v1 stops answering when its own PostgreSQL pool runs dry.
export MONGO_POOL_SIZE="${MONGO_POOL_SIZE:-6}"
npx tsc -p tsconfig.json --noEmit
npx madge --circular --extensions ts src workers >/dev/null || { npx madge --circular --extensions ts src workers; exit 1; }
npx jest "$@"
