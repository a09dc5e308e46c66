#!/usr/bin/env bash
# Provides a Pulumi CLI at least as new as the pinned @pulumi/pulumi SDK, without get.pulumi.com.
#
#   1. `pulumi` on PATH at or above the pin            -> use it.
#   2. a cached build for the pin                       -> use it.
#   3. Go + module proxy reachable                      -> build it from the release's Go modules
#                                                          into the per-user cache, then use it.
#   4. otherwise                                         -> fail, saying how to install Pulumi.
#
# Prints the directory holding `pulumi` on stdout (the last line); progress goes to stderr.
# Other scripts do: PULUMI_BIN_DIR="$(scripts/pulumi-cli.sh)".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[pulumi-cli] %s\n' "$*" >&2; }

pinned="${PULUMI_VERSION:-$(node -p 'require(process.argv[1]).devDependencies["@pulumi/pulumi"].replace(/^[^0-9]*/, "")' "$here/package.json")}"
cache_root="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"
bin_dir="$cache_root/pulumi/v$pinned/bin"

version_at_least() { # $1 >= $2 (dotted numeric)
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# 1. An installed Pulumi wins, so users keep their own CLI, plugins and backend.
if [ -z "${MOODLE_PERCIPIO_FORCE_BUILD:-}" ] && command -v pulumi >/dev/null 2>&1; then
  found="$(pulumi version 2>/dev/null | sed 's/^v//')"
  if [ -n "$found" ] && version_at_least "$found" "$pinned"; then
    log "using pulumi $found from PATH ($(command -v pulumi))"
    dirname "$(command -v pulumi)"
    exit 0
  fi
  log "pulumi on PATH is '${found:-unknown}', older than the pinned $pinned: ignoring it"
fi

# The Go language host is not obtainable from the module proxy (see scripts/pulumi-language-nodejs.js);
# its stand-in is refreshed on every call so an edited stand-in never hides behind the cache.
install_language_host() {
  local target="$1/pulumi-language-nodejs"
  if ! cmp -s "$here/scripts/pulumi-language-nodejs.js" "$target"; then
    install -m 0755 "$here/scripts/pulumi-language-nodejs.js" "$target"
  fi
}

# 2. A previous build for this pin.
if [ -x "$bin_dir/pulumi" ] && [ -x "$bin_dir/pulumi-resource-pulumi-nodejs" ] \
   && [ "$("$bin_dir/pulumi" version 2>/dev/null)" = "v$pinned" ]; then
  install_language_host "$bin_dir"
  log "using cached pulumi v$pinned ($bin_dir)"
  echo "$bin_dir"
  exit 0
fi

# 3. Build from the Go modules of the matching release.
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
[pulumi-cli] No usable Pulumi CLI: 'pulumi' is not on PATH (or is older than $pinned) and Go is not
[pulumi-cli] installed to build it. Install Pulumi $pinned or newer (https://www.pulumi.com/docs/install/)
[pulumi-cli] and make sure 'pulumi version' works, or install Go 1.25+ with access to a Go module proxy.
MSG
  exit 1
fi

log "building pulumi v$pinned from Go modules into $bin_dir (first run only; several minutes)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go mod init pulumi-cli-build >/dev/null 2>&1

log "resolving github.com/pulumi/pulumi/pkg/v3@v$pinned"
go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$pinned" "github.com/pulumi/pulumi/sdk/v3@v$pinned" >"$work/mods.json"
pkg_dir="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$pinned" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
sdk_dir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$pinned" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"

# The release's go.mod files carry replace directives that `go install pkg@version` refuses;
# a wrapper module re-applies the non-local ones.
for gomod in "$pkg_dir/go.mod" "$sdk_dir/go.mod"; do
  awk '
    /^replace \(/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { print; next }
    /^replace / { sub(/^replace /, ""); print }
  ' "$gomod" | { grep -v '=> *\.' || true; } | while read -r line; do
    from="$(echo "$line" | awk '{print $1}')"
    to="$(echo "$line" | sed 's/.*=> *//' | awk '{print $1"@"$2}')"
    log "replace $from => $to"
    go mod edit -replace "$from=$to"
  done
done

go mod edit -require "github.com/pulumi/pulumi/pkg/v3@v$pinned" -require "github.com/pulumi/pulumi/sdk/v3@v$pinned"
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
log "downloading dependencies (hundreds of modules)"
go mod tidy -e >&2 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }

mkdir -p "$bin_dir.tmp"
log "compiling pulumi (this is the long step)"
go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pinned" \
  -o "$bin_dir.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2

# The dynamic-provider plugin is a shell script that ships inside the sdk module.
install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bin_dir.tmp/pulumi-resource-pulumi-nodejs"

install_language_host "$bin_dir.tmp"
rm -rf "$bin_dir" && mv "$bin_dir.tmp" "$bin_dir"
log "built $("$bin_dir/pulumi" version) in $bin_dir"
echo "$bin_dir"
