#!/usr/bin/env bash
# The whole test suite (`npm test`, and what CI runs): installs what is missing, provides the Pulumi
# CLI, type-checks, starts the real Moodle (scripts/real-site-for-tests.sh), runs every jest suite
# (2 workers), then the suites against the real Moodle one at a time (tests/realsite: they share the
# one site and each resets it from its snapshot first), and stops the site again if it started it.
# Suites that need other servers start them themselves.
#
# Arguments go to both jest runs (e.g. `npm test -- tests/moodle` or `npm test -- tests/realsite/lifecycle`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/real-site-for-tests.sh"
ensure_node_modules
ensure_pulumi
echo "[test] pulumi engine: $(command -v pulumi) ($(pulumi version))"
cd "$project_root"
echo "[test] type-checking"
npx tsc --noEmit -p tsconfig.json
# Before jest: it also provides the host's php (with zip) that tests/docker reads plugin zips with.
start_real_site

# A subset of suites given as arguments may match nothing in one of the two runs; that is no error.
subset=()
[ $# -gt 0 ] && subset=(--passWithNoTests)
rc=0
t0=$SECONDS
npx jest --ci --maxWorkers=2 --testPathIgnorePatterns '/tests/realsite/' "${subset[@]}" "$@" || rc=$?
echo "[test] jest (all suites but tests/realsite): $((SECONDS - t0)) s" >&2
t0=$SECONDS
npx jest --ci --runInBand --roots '<rootDir>/tests/realsite' "${subset[@]}" "$@" || rc=$?
echo "[test] jest (tests/realsite, against the real Moodle): $((SECONDS - t0)) s" >&2
exit $rc
