# Sourced by scripts/test.sh: the real Moodle (scripts/real-moodle.sh) for the real-site suites.
#
#   start_real_site   start it (apt packages, install and snapshot the first time, daemons), stop it again
#                     when the test run exits if it was not running before, and export
#                     MOODLE_REAL_SITE=1 for tests/support/realSite.ts.
#
# In CI (CI=true) a site that cannot be started ends the run here with the reason: the real-site
# suites are the only check against real Moodle, so they are never skipped there. Elsewhere, without
# root or without ../shared/thirdparty, the run goes on and exports MOODLE_REAL_SITE_SKIPPED=<reason>;
# those suites then skip with a warning (tests/support/realSite.ts), and the run ends with a banner.

real_moodle="$project_root/scripts/real-moodle.sh"
real_site_started_here=

real_site_banner() { printf '\n[test] ************************************************************\n[test] %s\n[test] ************************************************************\n\n' "$*" >&2; }

stop_real_site() {
  if [ -n "$real_site_started_here" ]; then
    echo "[test] stopping the real Moodle this run started" >&2
    bash "$real_moodle" stop 9>&- || echo "[test] warning: scripts/real-moodle.sh stop failed" >&2
  fi
  if [ -n "${MOODLE_REAL_SITE_SKIPPED:-}" ]; then
    real_site_banner "the real-Moodle suites were SKIPPED: $MOODLE_REAL_SITE_SKIPPED"
  fi
}

# Why the site cannot run on this machine at all (not a failure of the site), or nothing.
real_site_impossible() {
  local shared="${MOODLE_PERCIPIO_SHARED:-$project_root/../shared}"
  if [ "$(id -u)" != 0 ]; then echo "not root (scripts/real-moodle.sh installs apt packages and starts PostgreSQL, php-fpm and nginx)"; return; fi
  if [ ! -d "$shared/thirdparty" ]; then echo "no $shared/thirdparty (Moodle 5.0.6+ and mod_percipio come from there)"; return; fi
}

start_real_site() {
  local why
  why="$(real_site_impossible)"
  if [ -n "$why" ]; then
    if [ "${CI:-}" = true ]; then
      real_site_banner "CI needs the real Moodle, and it cannot run here: $why"
      exit 1
    fi
    export MOODLE_REAL_SITE_SKIPPED="$why"
    real_site_banner "the real-Moodle suites will be SKIPPED: $why"
    trap stop_real_site EXIT
    return 0
  fi
  # Two runs on one machine would reset the one site under each other: the second waits for the first.
  local cache="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"
  mkdir -p "$cache"
  exec 9>"$cache/real-moodle.lock"
  if ! flock -n 9; then
    echo "[test] another test run uses the real Moodle ($cache/real-moodle.lock); waiting for it" >&2
    flock -w 3600 9 || { real_site_banner "gave up waiting for $cache/real-moodle.lock"; exit 1; }
  fi
  bash "$real_moodle" running && real_site_started_here= || real_site_started_here=1
  # Set before starting: a start that fails half-way still has its daemons stopped.
  trap stop_real_site EXIT
  local t0=$SECONDS
  # 9>&-: the daemons it starts must not inherit (and so hold) the lock after this run ends.
  if ! bash "$real_moodle" start 9>&-; then
    real_site_banner "the real Moodle did not start (scripts/real-moodle.sh start failed, see above)"
    exit 1
  fi
  echo "[test] real Moodle ready in $((SECONDS - t0)) s" >&2
  export MOODLE_REAL_SITE=1
}
