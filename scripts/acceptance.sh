#!/usr/bin/env bash
# The client suite against a real Moodle (acceptance). Needs MOODLE_URL, MOODLE_ADMIN_USER and
# MOODLE_ADMIN_PASSWORD; optional MOODLE_CA_CERT_FILE, MOODLE_ALLOW_HTTP=true (plain-http test sites).
# What it changes, and that it cleans up, is described in the README ("Acceptance on a real Moodle").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for v in MOODLE_URL MOODLE_ADMIN_USER MOODLE_ADMIN_PASSWORD; do
  if [ -z "${!v:-}" ]; then
    echo "acceptance: $v is not set. Example: MOODLE_URL=https://moodle-test.example.com MOODLE_ADMIN_USER=admin MOODLE_ADMIN_PASSWORD=... npm run test:acceptance" >&2
    exit 2
  fi
done
ensure_node_modules
cd "$project_root"
# MOODLE_ACCEPTANCE=1 is what points tests/support/moodleTarget.ts at the site (MOODLE_URL alone does not).
MOODLE_ACCEPTANCE=1 npx jest --ci --runInBand tests/client "$@"
