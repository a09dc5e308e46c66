#!/usr/bin/env bash
# The whole test suite (`npm test`, and what CI runs): installs what is missing, provides the Pulumi
# CLI, type-checks, then runs every jest suite. Suites that need servers start them themselves.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_node_modules
ensure_pulumi
echo "[test] pulumi engine: $(command -v pulumi) ($(pulumi version))"
cd "$project_root"
echo "[test] type-checking"
npx tsc --noEmit -p tsconfig.json
npx jest --ci --maxWorkers=2 "$@"
