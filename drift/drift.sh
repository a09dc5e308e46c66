#!/usr/bin/env bash
# `npm run drift`: the fleet drift report on the project's usual set-up (node_modules, Pulumi CLI,
# the backend of `pulumi login` / PULUMI_BACKEND_URL, else the local file backend).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ensure_node_modules >&2
ensure_pulumi
cd "$project_root"
exec node -r ts-node/register/transpile-only drift/cli.ts "$@"
