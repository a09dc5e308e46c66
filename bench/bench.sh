#!/usr/bin/env bash
# `npm run bench`: sets up like the other scripts (dependencies, Pulumi CLI), then runs bench/main.ts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ensure_node_modules
ensure_pulumi
cd "$project_root"
# --real: against the real Moodle 5.0.6+ that `npm test` runs (scripts/real-moodle.sh), started (and
# stopped again) as the tests do; reset from its snapshot before each run, requests counted in its
# web server's access log.
args=()
for a in "$@"; do
  if [ "$a" = --real ]; then
    source "$project_root/scripts/real-site-for-tests.sh"
    start_real_site
    set -a
    eval "$(bash "$project_root/scripts/real-moodle.sh" env)"
    set +a
    export MOODLE_ACCESS_LOG="$(bash "$project_root/scripts/real-moodle.sh" accesslog)"
    export MOODLE_RESET_COMMAND="bash $project_root/scripts/real-moodle.sh reset"
  else
    args+=("$a")
  fi
done
set -- "${args[@]+"${args[@]}"}"
# --fleet: the drift report over fleets of stacks (bench/fleet.ts); otherwise the deploy operations.
case " $* " in
  *" --fleet "*) node -r ts-node/register/transpile-only bench/fleet.ts "$@" ;;
  # Not exec: with --real the exit trap stops the site this run started.
  *) node -r ts-node/register/transpile-only bench/main.ts "$@" ;;
esac
