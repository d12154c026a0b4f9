#!/usr/bin/env bash
# The whole test suite: dependencies, local Redis and MongoDB-wire server, type check, jest.
# The integration and IdP-replay tiers run twice: on the backend the server is (FerretDB here), then
# with MONGO_BACKEND=mongodb, so the real-MongoDB code paths run on this machine too. Arguments go to
# both jest runs (for example a test file name). The browser tests (test/browser, headless chromium) run in
# the first run only: the console reads the same admin API either way.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
bash scripts/services.sh
# Few connections per test process: FerretDB v1 stops answering when its own PostgreSQL pool runs dry.
export MONGO_POOL_SIZE="${MONGO_POOL_SIZE:-6}"
npx tsc -p tsconfig.json --noEmit
npx madge --circular --extensions ts src workers >/dev/null || { npx madge --circular --extensions ts src workers; exit 1; }
# The console is type-checked and built on every run, so the browser tests (test/browser) drive this checkout's code.
npm run build:console --silent

echo "== tests: every tier, on the server's own backend (MONGO_BACKEND=${MONGO_BACKEND:-auto})"
npx jest "$@"
if [ "${MONGO_BACKEND:-auto}" != "mongodb" ]; then
  # 16 statements per bulk update: FerretDB holds one PostgreSQL connection per statement (src/store/upsert.ts).
  echo "== tests: integration and IdP replays on the MongoDB code paths (MONGO_BACKEND=mongodb, MONGO_BULK_UPDATE_SIZE=16)"
  MONGO_BACKEND=mongodb MONGO_BULK_UPDATE_SIZE=16 npx jest --testPathIgnorePatterns '/test/(unit|browser)/' --passWithNoTests "$@"
fi
