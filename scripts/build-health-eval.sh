#!/usr/bin/env bash
# Builds (once) and caches tools/health-eval: our own small Go program that judges FlowRelease objects with
# kstatus (sigs.k8s.io/cli-utils) and with deploy/argocd/health.lua run in gopher-lua the way Argo CD runs a
# health customization. Modules come from the Go module proxy (go.mod/go.sum are committed).
#
#   scripts/build-health-eval.sh          build if not cached, print the binary's path (last stdout line)
#   scripts/build-health-eval.sh --print  print the path it would use, build nothing
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/health-eval/<cli-utils version>-<sha256 of go.mod,
# go.sum and the sources>[:12]/health-eval. Tests find it there (or through FLOWRELEASE_HEALTH_EVAL=<file>).
# Without Go the script says how to get it and exits 0 (the tests that need the tool skip); under CI=true it
# fails instead.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/tools/health-eval"
log() { echo "build-health-eval: $*" >&2; }

mode="build"
case "${1:-}" in
  "") ;;
  --print) mode="print" ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  *) log "unknown argument: $1"; exit 2 ;;
esac

version="$(awk '$1 == "sigs.k8s.io/cli-utils" {print $2; exit}' "$MOD/go.mod")"
[[ -n "$version" ]] || { log "ERROR: tools/health-eval/go.mod requires no sigs.k8s.io/cli-utils"; exit 1; }
hash="$(cd "$MOD" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-12)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/health-eval"
DIR="$CACHE_ROOT/$version-$hash"
BIN="$DIR/health-eval"

if [[ "$mode" == "print" ]]; then
  echo "$BIN"
  exit 0
fi
if [[ -x "$BIN" ]]; then
  log "cached in $DIR"
  echo "$BIN"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    log "ERROR: Go is not installed but CI=true, and the health tests must run in CI."
    exit 1
  fi
  log "Go is not installed, so tools/health-eval cannot be built; the tests that need it are skipped."
  log "Install Go >= 1.26 (https://go.dev/dl/ or your package manager), then rerun this script."
  exit 0
fi
mkdir -p "$CACHE_ROOT"
STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
chmod 755 "$STAGE"
trap 'rm -rf "$STAGE"' EXIT
start=$SECONDS
(cd "$MOD" && CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false ${GOFLAGS:-}" \
  go build -mod=readonly -trimpath -ldflags "-s -w" -o "$STAGE/health-eval" .)
"$STAGE/health-eval" -versions >&2
rm -rf "$DIR"
mv -T "$STAGE" "$DIR"
trap - EXIT
log "built in $((SECONDS - start))s: $BIN"
echo "$BIN"
