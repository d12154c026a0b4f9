#!/usr/bin/env bash
# Benchmarks print figures with same-run baselines; they never assert times.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
bash scripts/services.sh
for b in bench/*.bench.ts; do
  echo "== $b"
  node --import tsx "$b"
done
