#!/usr/bin/env bash
# `npm run bench`: sets up like the other scripts (dependencies, Pulumi CLI), then runs bench/main.ts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ensure_node_modules
ensure_pulumi
cd "$project_root"
exec node -r ts-node/register/transpile-only bench/main.ts "$@"
