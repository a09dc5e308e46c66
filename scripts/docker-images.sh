#!/usr/bin/env bash
# Builds the test images for the Docker-mode lifecycle suite on the private engine
# (scripts/docker-engine.sh), from Debian packages, ../shared/thirdparty and our own files only:
#
#   moodle-percipio-test/debian-base:<key>     mmdebstrap bookworm minbase + php8.2/nginx/postgresql
#   moodle-percipio-test/postgres:15-<key>     stand-in for postgres:16-alpine (POSTGRES_* contract)
#   moodle-percipio-test/moodle:v5.0.6-<key>   stand-in for erseco/alpine-moodle (its contract:
#                                               tests/docker/images/moodle/README.md)
#
# Each tag carries a key: a hash of everything that goes into the image (its folder under
# tests/docker/images, the base's package list and mirror, the Moodle tarball's sha256), so a
# changed input builds a new image and an unchanged one is found in the engine's data root (kept
# in the cache) and reused. The base's rootfs tarball is kept in the cache too.
#
#   DOCKER_HOST=unix://… scripts/docker-images.sh   # prints MOODLE_IMAGE=… DATABASE_IMAGE=…
#
# Needs THIRDPARTY (default ../shared/thirdparty next to the project) with the Moodle tarball.
set -euo pipefail

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images_dir="$project_root/tests/docker/images"
thirdparty="${THIRDPARTY:-$project_root/../shared/thirdparty}"
cache="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}/docker/images"
moodle_tarball="$thirdparty/moodle-5.0.6plus-20260403.tar.gz"
export PATH="/usr/sbin:/sbin:$PATH"
: "${DOCKER_HOST:?set DOCKER_HOST (scripts/docker-engine.sh host)}"

say() { echo "[docker-images] $*" >&2; }

# The Debian mirror this machine's apt uses (mmdebstrap must use the same, reachable one).
debian_mirror() {
  local uri
  uri="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -E 'debian/?( |$)' | grep -v security | head -1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//')"
  echo "${uri:-http://deb.debian.org/debian}"
}

hash_of() { sha256sum | cut -c1-12; }

# Everything under a folder, names and contents, as one hash.
folder_hash() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | hash_of
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

timed() {
  local what="$1"; shift
  local t0=$SECONDS
  "$@"
  say "$what: $((SECONDS - t0))s"
}

base_packages="$(grep -vE '^\s*(#|$)' "$images_dir/base/packages.txt" | tr '\n' ',' | sed 's/,$//')"
mirror="$(debian_mirror)"
base_key="$( { echo "$base_packages"; echo "$mirror"; folder_hash "$images_dir/base"; } | hash_of)"
base_image="moodle-percipio-test/debian-base:$base_key"

build_base() {
  local rootfs="$cache/debian-base-$base_key.tar"
  if [ ! -f "$rootfs" ]; then
    mkdir -p "$cache"
    say "mmdebstrap bookworm from $mirror with: $base_packages"
    mmdebstrap --mode=root --variant=minbase --include="$base_packages" \
      --aptopt='Acquire::Retries "3"' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$rootfs.tmp.tar" "$mirror" >&2
    mv "$rootfs.tmp.tar" "$rootfs"
  fi
  docker import "$rootfs" "$base_image" >/dev/null
}

# build <name> <tag prefix> <extra key input>: docker build of tests/docker/images/<name>.
build_image() {
  local name="$1" context="$2" image="$3"
  docker build --quiet --build-arg "BASE=$base_image" -t "$image" "$context" >/dev/null
}

[ -f "$moodle_tarball" ] || { say "missing $moodle_tarball (set THIRDPARTY)"; exit 1; }
moodle_sha="$(sha256sum "$moodle_tarball" | cut -d' ' -f1)"
db_key="$( { echo "$base_key"; folder_hash "$images_dir/postgres"; } | hash_of)"
moodle_key="$( { echo "$base_key"; echo "$moodle_sha"; folder_hash "$images_dir/moodle"; } | hash_of)"
database_image="moodle-percipio-test/postgres:15-$db_key"
moodle_image="moodle-percipio-test/moodle:v5.0.6-$moodle_key"

if have_image "$base_image"; then say "cached $base_image"; else timed "built $base_image" build_base; fi
if have_image "$database_image"; then
  say "cached $database_image"
else
  timed "built $database_image" build_image postgres "$images_dir/postgres" "$database_image"
fi
if have_image "$moodle_image"; then
  say "cached $moodle_image"
else
  # The build context: our files plus the tarball (hard-linked when possible, else copied).
  context="$(mktemp -d "${TMPDIR:-/tmp}/moodle-image.XXXXXX")"
  trap 'rm -rf "$context"' EXIT
  cp -r "$images_dir/moodle/." "$context/"
  ln "$moodle_tarball" "$context/moodle.tar.gz" 2>/dev/null || cp "$moodle_tarball" "$context/moodle.tar.gz"
  timed "built $moodle_image" build_image moodle "$context" "$moodle_image"
fi

echo "MOODLE_IMAGE=$moodle_image"
echo "DATABASE_IMAGE=$database_image"
