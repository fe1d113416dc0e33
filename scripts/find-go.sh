# Sourced by the Go build scripts (kube-build.sh, reference-ccm-build.sh): finds a go binary new
# enough for the modules and sets the build environment. Expects `fail` and `min_go_minor` from the
# caller; `needs` says what needs that Go, for the error message.
#
# $OUTRIGGER_GO names the go binary to use (default: go on PATH, else /usr/local/go/bin/go).
find_go() {
  local needs="$1"
  go_bin="${OUTRIGGER_GO-$(command -v go || true)}"
  if [[ -z "${OUTRIGGER_GO-}" && -z "$go_bin" && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
  if [[ -n "$go_bin" && ! -x "$go_bin" ]]; then go_bin=""; fi
  [[ -n "$go_bin" ]] || fail "Go is not installed (need Go >= 1.$min_go_minor; put it on PATH or at /usr/local/go)"
  local go_version
  go_version="$("$go_bin" env GOVERSION 2>/dev/null || true)"
  [[ "$go_version" =~ ^go1\.([0-9]+) ]] || fail "cannot read the Go version from '$go_bin env GOVERSION' (got '$go_version')"
  if (( BASH_REMATCH[1] < min_go_minor )); then
    fail "$go_version is too old: $needs needs Go >= 1.$min_go_minor ($go_bin)"
  fi
  # Local toolchain only (never a silent toolchain download), no workspace above us, static
  # binaries, the committed go.sum as the pin.
  export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
}
