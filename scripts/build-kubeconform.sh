#!/usr/bin/env bash
# Builds (once) and caches kubeconform, the offline Kubernetes manifest validator GitOps pipelines run before
# `kubectl apply`, so the tests can prove it refuses what the apiserver refuses (tests/crd, tests/bad_input).
# It is built from the Go module proxy through tools/kubeconform (a Go module of ours whose only job is to
# pin github.com/yannh/kubeconform as a tool dependency).
#
#   scripts/build-kubeconform.sh            build if not cached, print the binary's path (last stdout line)
#   scripts/build-kubeconform.sh --print    print the path it would use, build nothing
#
# The version lives in tools/kubeconform/VERSION (and go.mod). The binary is cached in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/kubeconform/<version>-<sha256 of module files>[:12]/
# and tests find it there (or through FLOWRELEASE_KUBECONFORM=<path>).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/tools/kubeconform"
VERSION="$(tr -d '[:space:]' <"$MOD/VERSION")"
log() { echo "build-kubeconform: $*" >&2; }

mode="build"
case "${1:-}" in
  "") ;;
  --print) mode="print" ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "build-kubeconform: unknown argument: $1" >&2; exit 2 ;;
esac

if ! grep -Eq "github\.com/yannh/kubeconform $VERSION\b" "$MOD/go.mod"; then
  log "ERROR: tools/kubeconform/go.mod does not require github.com/yannh/kubeconform $VERSION (VERSION file)."
  log "Run: (cd tools/kubeconform && go get -tool github.com/yannh/kubeconform/cmd/kubeconform@$VERSION && go mod tidy)"
  exit 1
fi

hash="$(cat "$MOD/VERSION" "$MOD/go.mod" "$MOD/go.sum" | sha256sum | cut -c1-12)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/kubeconform"
BIN="$CACHE_ROOT/$VERSION-$hash"

if [[ "$mode" == "print" ]]; then
  echo "$BIN/kubeconform"
  exit 0
fi
if [[ -x "$BIN/kubeconform" ]]; then
  log "cached kubeconform $VERSION in $BIN"
  echo "$BIN/kubeconform"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    log "ERROR: Go is not installed but CI=true; install Go >= 1.24 so kubeconform can be built."
    exit 1
  fi
  log "Go is not installed, so kubeconform cannot be built; the tests that run it are skipped."
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9
if [[ -x "$BIN/kubeconform" ]]; then
  echo "$BIN/kubeconform"
  exit 0
fi
STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
start=$SECONDS
log "building kubeconform $VERSION (about 1-2 min cold on 2 cores; cached afterwards)"
(cd "$MOD" && CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false ${GOFLAGS:-}" \
  go build -trimpath -ldflags "-s -w" -o "$STAGE/kubeconform" github.com/yannh/kubeconform/cmd/kubeconform)
log "go build took $((SECONDS - start))s"
"$STAGE/kubeconform" -v >&2
chmod 755 "$STAGE"
rm -rf "$BIN"
mv -T "$STAGE" "$BIN"
trap - EXIT
log "kubeconform $VERSION ready in $BIN"
echo "$BIN/kubeconform"
