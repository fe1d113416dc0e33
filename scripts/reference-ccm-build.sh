#!/usr/bin/env bash
# Builds the reference CCM (upstream's cloud-controller-manager from k8s.io/cloud-provider with
# the anchor cloud, test/reference-ccm) into a cache outside the repository, and does nothing when
# the binary for these exact sources is already there.
#
#   bash scripts/reference-ccm-build.sh          build if needed, print the binary's path
#   bash scripts/reference-ccm-build.sh --print  print the binary's path only (no build)
#
# Go is test infrastructure only: the product is TypeScript. See docs/upstream-parity.md.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
module="$here/test/reference-ccm"
cloud_provider_version="v0.37.2"
min_go_minor=26

fail() {
  echo "reference-ccm-build: $*" >&2
  exit 1
}

# The cache key hashes go.mod, go.sum and every Go source, so any change builds anew and never
# reuses a binary made from other code.
src_hash="$(cd "$module" && cat go.mod go.sum $(ls ./*.go | LC_ALL=C sort) | sha256sum | cut -c1-12)"
cache_root="${OUTRIGGER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/outrigger}"
cache_dir="$cache_root/reference-ccm-$cloud_provider_version-$src_hash"
binary="$cache_dir/reference-ccm"

if [[ "${1:-}" == "--print" ]]; then
  echo "$binary"
  exit 0
fi

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

# shellcheck source=scripts/find-go.sh
source "$here/scripts/find-go.sh"
find_go "k8s.io/cloud-provider $cloud_provider_version"

mkdir -p "$cache_root"
staging="$(mktemp -d "$cache_root/.build-reference-ccm-XXXXXX")"
trap 'rm -rf "$staging"' EXIT

cd "$module"
if ! "$go_bin" mod download >"$staging/download.log" 2>&1; then
  tail -n 20 "$staging/download.log" >&2
  fail "downloading modules failed (is the Go module proxy reachable? GOPROXY=$("$go_bin" env GOPROXY))"
fi
echo "reference-ccm-build: building the reference CCM (k8s.io/cloud-provider $cloud_provider_version)" >&2
start=$SECONDS
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean"
if ! "$go_bin" build -trimpath -ldflags "$ldflags" -o "$staging/reference-ccm" . >"$staging/build.log" 2>&1; then
  tail -n 30 "$staging/build.log" >&2
  fail "building the reference CCM failed (log above)"
fi
echo "reference-ccm-build: built in $((SECONDS - start)) s" >&2

rm -f "$staging"/*.log
if ! mv -T "$staging" "$cache_dir" 2>/dev/null; then
  [[ -x "$binary" ]] || fail "could not move the build into $cache_dir"
fi
trap - EXIT
echo "$binary"
