#!/usr/bin/env bash
# Builds (once) and caches helm from the Go module proxy through tools/helm, a Go module that records
# helm.sh/helm/v3/cmd/helm as a `tool` at the version in tools/helm/VERSION (go.mod + go.sum committed).
#
#   scripts/build-helm.sh           build if not cached; the last stdout line is the helm binary's path
#   scripts/build-helm.sh --print   print the path it would use, build nothing
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/helm/<version>-<sha256 of the module files>[:12]/helm.
# Tests find it through this script's --print or FLOWRELEASE_HELM=<path>. Without Go the script says how to
# get it and exits 0 (the chart tests then skip); under CI=true it fails instead.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/tools/helm"
VERSION="$(tr -d '[:space:]' <"$MOD/VERSION")"
log() { echo "build-helm: $*" >&2; }

mode=build
case "${1:-}" in
  "") ;;
  --print) mode=print ;;
  -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
  *) log "unknown argument: $1"; exit 2 ;;
esac

if ! grep -Eq "^[[:space:]]*helm\.sh/helm/v3 $VERSION\b" "$MOD/go.mod"; then
  log "ERROR: tools/helm/go.mod does not require helm.sh/helm/v3 $VERSION (tools/helm/VERSION)."
  log "Run: (cd tools/helm && go get -tool helm.sh/helm/v3/cmd/helm@$VERSION && go mod tidy) and commit go.mod go.sum"
  exit 1
fi

hash="$(cat "$MOD/VERSION" "$MOD/go.mod" "$MOD/go.sum" "$0" | sha256sum | cut -c1-12)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/helm"
DIR="$CACHE_ROOT/$VERSION-$hash"
[[ "$mode" == print ]] && { echo "$DIR/helm"; exit 0; }
[[ -x "$DIR/helm" ]] && { log "cached helm $VERSION in $DIR"; echo "$DIR/helm"; exit 0; }

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed, so helm cannot be built (install Go >= 1.26, then rerun this script)."
  [[ "${CI:-}" == "true" ]] && { log "ERROR: CI=true and the chart tests must run"; exit 1; }
  log "Until then the chart tests are skipped."
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9 # one build at a time per cache; whoever waited reuses the result
[[ -x "$DIR/helm" ]] && { echo "$DIR/helm"; exit 0; }
STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

# The version stamps helm's own Makefile sets; the Kubernetes minor is the client-go helm requires.
k8s_minor="$(awk '$1 == "k8s.io/client-go" {split($2, v, "."); print v[2]; exit}' "$MOD/go.mod")"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
start=$SECONDS
log "building helm $VERSION (a few minutes cold on 2 cores; cached afterwards)"
(cd "$MOD" && CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false" go build -trimpath -ldflags "$ldflags" \
  -o "$STAGE/helm" helm.sh/helm/v3/cmd/helm)
log "go build took $((SECONDS - start))s"
"$STAGE/helm" version --short >&2
rm -rf "$DIR"
mv -T "$STAGE" "$DIR"
trap - EXIT
echo "$DIR/helm"
