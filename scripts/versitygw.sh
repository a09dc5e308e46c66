#!/usr/bin/env bash
# Provides the versitygw S3 server (an S3 gateway over a local folder) used to prove the team-state
# S3 backend, built once from the Go module proxy and cached like the Pulumi CLI.
#
#   1. a cached build of the pinned version  -> use it.
#   2. Go + module proxy reachable            -> `go install` it into the per-user cache, then use it.
#   3. otherwise                              -> fail, saying what is missing.
#
# Prints the path of the `versitygw` binary on stdout (the last line); progress goes to stderr.
set -euo pipefail

version="${VERSITYGW_VERSION:-v1.8.0}"
cache_root="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"
bin_dir="$cache_root/versitygw/$version"
log() { printf '[versitygw] %s\n' "$*" >&2; }

if [ -x "$bin_dir/versitygw" ]; then
  log "using cached versitygw $version ($bin_dir)"
  echo "$bin_dir/versitygw"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "versitygw $version is not cached in $bin_dir and Go is not installed to build it:"
  log "install Go 1.25+ with access to a Go module proxy, or put a versitygw binary at $bin_dir/versitygw."
  exit 1
fi

log "building github.com/versity/versitygw/cmd/versitygw@$version into $bin_dir (first run only; about a minute)"
mkdir -p "$(dirname "$bin_dir")"
tmp="$(mktemp -d "$(dirname "$bin_dir")/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go install -trimpath -ldflags "-s -w" \
  "github.com/versity/versitygw/cmd/versitygw@$version" >&2
# A rename is atomic: a concurrent caller sees either no binary or a complete one.
mkdir -p "$tmp/out" && mv "$tmp/versitygw" "$tmp/out/versitygw"
rm -rf "$bin_dir" 2>/dev/null || true
mv "$tmp/out" "$bin_dir"
log "built versitygw $version in $bin_dir"
echo "$bin_dir/versitygw"
