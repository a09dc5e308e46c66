#!/usr/bin/env bash
# `npm run drift`: the fleet drift report on the project's usual set-up (node_modules, Pulumi CLI,
# the backend of `pulumi login` / PULUMI_BACKEND_URL, else the local file backend).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ensure_node_modules >&2
# --merge only reads shard reports: a merge job needs no Pulumi CLI (and builds none).
case " $* " in *" --merge "*|*" --merge="*) ;; *) ensure_pulumi ;; esac
cd "$project_root"
exec node -r ts-node/register/transpile-only drift/cli.ts "$@"
