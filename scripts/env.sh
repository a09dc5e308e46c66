# Sourced by the project's scripts: local, offline defaults for Pulumi that a user can override by
# exporting the variables first (e.g. PULUMI_BACKEND_URL for their own backend).
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MOODLE_PERCIPIO_LOCAL="${MOODLE_PERCIPIO_LOCAL:-$project_root/.pulumi-local}"
mkdir -p "$MOODLE_PERCIPIO_LOCAL"

# The backend a user chose with `pulumi login` (stored in PULUMI_HOME's credentials.json), if any.
logged_in_backend() {
  local credentials="${PULUMI_HOME:-$HOME/.pulumi}/credentials.json"
  [ -f "$credentials" ] || return 0
  node -e 'try { process.stdout.write(require(process.argv[1]).current || "") } catch {}' "$credentials"
}

if [ -z "${PULUMI_BACKEND_URL:-}" ] && [ -z "$(logged_in_backend)" ]; then
  mkdir -p "$MOODLE_PERCIPIO_LOCAL/state"
  export PULUMI_BACKEND_URL="file://$MOODLE_PERCIPIO_LOCAL/state"
fi
export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"

# npm ci when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -d "$project_root/node_modules/@pulumi/pulumi" ] \
     || [ "$project_root/package-lock.json" -nt "$project_root/node_modules/.package-lock.json" ]; then
    echo "[setup] installing npm dependencies (npm ci)" >&2
    (cd "$project_root" && npm ci --no-audit --no-fund)
  fi
}

# Puts a Pulumi CLI of at least the pinned version first on PATH (builds it once if needed).
ensure_pulumi() {
  local bin_dir
  bin_dir="$(bash "$project_root/scripts/pulumi-cli.sh")"
  export PATH="$bin_dir:$PATH"
  # A self-built CLI has no way to download plugins here; a user's own CLI keeps its usual behaviour
  # (docker mode needs the docker provider plugin).
  case "$bin_dir" in
    "${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"/*)
      export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}" ;;
  esac
}
