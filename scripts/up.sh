#!/usr/bin/env bash
# The main job (`npm run up`): `pulumi up` of a stack (default: dev) on the local defaults.
# Only a stack that asks for it with moodle:localDouble=true (the dev stack) gets the Moodle double:
# started at its loopback moodle:url when nothing listens there, stopped afterwards, state kept in
# .pulumi-local/moodle-double.json so the next run finds the same Moodle. Any other stack whose
# Moodle does not answer stops here, before Pulumi records anything.
# Extra arguments go to `pulumi up` (e.g. npm run up -- --diff).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_node_modules
ensure_pulumi
cd "$project_root"

stack="${STACK:-dev}"
if [ "$stack" = dev ] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  # The dev stack's documented passphrase (README): it protects only the local double's demo values.
  export PULUMI_CONFIG_PASSPHRASE="moodle-percipio-dev"
fi
pulumi stack select --create "$stack" >/dev/null

url="$(pulumi config get moodle:url --stack "$stack" 2>/dev/null || true)"
mode="$(pulumi config get moodle:mode --stack "$stack" 2>/dev/null || echo existing)"
local_double="$(pulumi config get moodle:localDouble --stack "$stack" 2>/dev/null || echo false)"
double_pid=""
stop_double() {
  if [ -n "$double_pid" ]; then
    kill "$double_pid" 2>/dev/null || true
    wait "$double_pid" 2>/dev/null || true
  fi
}
trap stop_double EXIT

# Whether a TCP connection to the URL's host and port succeeds within 10 s.
answers() {
  node -e '
    const u = new URL(process.argv[1]);
    const port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
    const s = require("net").connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port, timeout: 10000 });
    s.on("connect", () => process.exit(0)).on("error", () => process.exit(1)).on("timeout", () => process.exit(1));
  ' "$1" 2>/dev/null
}

if [ "$mode" = existing ] && [ "$local_double" = true ]; then
  if ! [[ "$url" =~ ^http://(127\.0\.0\.1|localhost):([0-9]+)/?$ ]]; then
    echo "[up] moodle:localDouble=true needs a loopback moodle:url such as http://127.0.0.1:8080, got '$url'" >&2
    exit 1
  fi
  port="${BASH_REMATCH[2]}"
  if answers "$url"; then
    echo "[up] something already listens on $url: using it as the Moodle (stop it to use the built-in double)"
  else
    echo "[up] ############################################################################"
    echo "[up] # moodle:localDouble=true: starting the Moodle TEST DOUBLE at $url"
    echo "[up] # (not a real Moodle; state: $MOODLE_PERCIPIO_LOCAL/moodle-double.json)"
    echo "[up] ############################################################################"
    node -r ts-node/register/transpile-only testkit/moodle-double/cli.ts --port "$port" \
      --state-file "$MOODLE_PERCIPIO_LOCAL/moodle-double.json" >"$MOODLE_PERCIPIO_LOCAL/moodle-double.log" 2>&1 &
    double_pid=$!
    listening=""
    for _ in $(seq 1 60); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then listening=yes; break; fi
      kill -0 "$double_pid" 2>/dev/null || { cat "$MOODLE_PERCIPIO_LOCAL/moodle-double.log" >&2; exit 1; }
      sleep 0.5
    done
    if [ -z "$listening" ]; then
      echo "[up] the Moodle double did not start listening on port $port within 30 s; its log:" >&2
      cat "$MOODLE_PERCIPIO_LOCAL/moodle-double.log" >&2
      exit 1
    fi
  fi
elif [ "$mode" = existing ] && [ -n "$url" ] && ! answers "$url"; then
  echo "[up] nothing answers at moodle:url $url (stack $stack): start that Moodle or correct moodle:url." >&2
  echo "[up] Nothing was changed and Pulumi recorded nothing. (Only a stack with moodle:localDouble=true gets the test double.)" >&2
  exit 1
fi

echo "[up] pulumi up --stack $stack ($(pulumi version), backend ${PULUMI_BACKEND_URL:-of pulumi login})"
pulumi up --yes --stack "$stack" "$@"
echo
echo "[up] stack outputs (secrets masked; 'pulumi stack output --show-secrets' reveals them):"
pulumi stack output --stack "$stack"
