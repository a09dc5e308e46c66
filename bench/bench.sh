#!/usr/bin/env bash
# `npm run bench`: sets up like the other scripts (dependencies, Pulumi CLI), then runs bench/main.ts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ensure_node_modules
ensure_pulumi
cd "$project_root"
# --fleet: the drift report over fleets of stacks (bench/fleet.ts); otherwise the deploy operations.
case " $* " in
  *" --fleet "*) exec node -r ts-node/register/transpile-only bench/fleet.ts "$@" ;;
  *) exec node -r ts-node/register/transpile-only bench/main.ts "$@" ;;
esac
