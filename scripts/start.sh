#!/usr/bin/env bash
# One command for a fresh machine: dependencies, build, local services, a bootstrap directory,
# then the API with in-process propagation workers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
npm run build --silent
bash scripts/services.sh
ORG="${BOOTSTRAP_ORG:-demo}"
DIR="${BOOTSTRAP_DIRECTORY:-okta-local}"
PROVIDER="${BOOTSTRAP_PROVIDER:-okta}"
BOOT="$ROOT/.data/bootstrap.json"
if [ ! -s "$BOOT" ] || ! node bin/scim-sync.js directory list --org "$ORG" --json 2>/dev/null | grep -q "\"$DIR\""; then
  node bin/scim-sync.js directory create --org "$ORG" --name "$DIR" --provider "$PROVIDER" --json > "$BOOT.tmp"
  mv "$BOOT.tmp" "$BOOT"
  chmod 600 "$BOOT"
fi
ADMIN="$ROOT/.data/admin-key.json"
if [ ! -s "$ADMIN" ]; then
  node bin/scim-sync.js admin-key create --org "$ORG" --name bootstrap --json > "$ADMIN.tmp"
  mv "$ADMIN.tmp" "$ADMIN"
  chmod 600 "$ADMIN"
fi
node -e '
  const b = require(process.argv[1]);
  console.log("\nSCIM base URL:   " + b.scimBaseUrl);
  console.log("Bearer token:    " + b.token + "   (directory " + b.directory.name + " of org " + b.organization.slug + "; kept in .data/bootstrap.json)");
  const a = require(process.argv[2]);
  console.log("Admin API:       " + b.scimBaseUrl.replace(/\/scim\/v2$/, "/api/v1") + "   admin key (org owner): " + a.adminKey + "   (kept in .data/admin-key.json)");
  console.log("Console:         " + b.scimBaseUrl.replace(/\/scim\/v2$/, "/console/") + "   (sign in with the admin key)");
  console.log("Try:             curl -H \"Authorization: Bearer " + b.token + "\" " + b.scimBaseUrl + "/Users\n");
' "$BOOT" "$ADMIN"
exec node dist/src/main.js
