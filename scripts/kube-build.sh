#!/usr/bin/env bash
# Builds the pinned upstream test cluster (kube-apiserver and etcd) from the Go
# module proxy into a cache outside the repository, and does nothing when the
# binaries for this exact go.sum are already there.
#
#   bash scripts/kube-build.sh          build if needed, print the cache directory
#   bash scripts/kube-build.sh --print  print the cache directory only (no build)
#
# Go is test infrastructure only: the product is TypeScript. See docs/real-kubernetes.md.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
module="$here/test/kube"
kube_version="v1.37.2"
min_go_minor=26

fail() {
  echo "kube-build: $*" >&2
  exit 1
}

# The cache key is the version plus a hash of go.sum, so a changed pin builds anew
# and never reuses binaries made from other modules.
sum_hash="$(sha256sum "$module/go.sum" | cut -c1-12)"
cache_root="${OUTRIGGER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/outrigger}"
cache_dir="$cache_root/kube-$kube_version-$sum_hash"

if [[ "${1:-}" == "--print" ]]; then
  echo "$cache_dir"
  exit 0
fi

if [[ -x "$cache_dir/kube-apiserver" && -x "$cache_dir/etcd" ]]; then
  echo "$cache_dir"
  exit 0
fi

# Go: present, and new enough for the modules (k8s 1.37 says go 1.26.0).
# $OUTRIGGER_GO names the go binary to use (default: go on PATH, else /usr/local/go/bin/go).
# shellcheck source=scripts/find-go.sh
source "$here/scripts/find-go.sh"
find_go "kubernetes $kube_version"

mkdir -p "$cache_root"
staging="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$staging"' EXIT

cd "$module"
echo "kube-build: downloading modules for kubernetes $kube_version (first run only)" >&2
if ! "$go_bin" mod download >"$staging/download.log" 2>&1; then
  tail -n 20 "$staging/download.log" >&2
  fail "downloading modules failed (is the Go module proxy reachable? GOPROXY=$("$go_bin" env GOPROXY))"
fi

minor="${kube_version#v1.}"
minor="${minor%%.*}"
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$kube_version"

build() {
  local out="$1" pkg="$2" flags="$3"
  echo "kube-build: building $out ($pkg)" >&2
  local start=$SECONDS
  if ! "$go_bin" build -trimpath -ldflags "$flags" -o "$staging/$out" "$pkg" >"$staging/$out.log" 2>&1; then
    tail -n 30 "$staging/$out.log" >&2
    fail "building $out failed (log above)"
  fi
  echo "kube-build: built $out in $((SECONDS - start)) s" >&2
}

build etcd go.etcd.io/etcd/server/v3 "-s -w"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"

# Publish atomically: a half-built cache is never seen as complete.
rm -f "$staging"/*.log
if ! mv -T "$staging" "$cache_dir" 2>/dev/null; then
  # Another build won the race; its binaries are equivalent.
  [[ -x "$cache_dir/kube-apiserver" ]] || fail "could not move the build into $cache_dir"
fi
trap - EXIT
echo "$cache_dir"
