#!/usr/bin/env bash
# Builds (once) and caches the Prometheus server and promtool, both from ONE version of the Go module
# github.com/prometheus/prometheus (tools/prometheus/VERSION; tools/prometheus/go.mod records
# cmd/prometheus and cmd/promtool as `tool`s, go.mod + go.sum committed).
#
#   scripts/build-prometheus.sh          build if not cached; the last stdout line is the bin dir
#   scripts/build-prometheus.sh --print  print the bin dir it would use, build nothing
#   scripts/build-prometheus.sh --env    build if needed, then print `export FLOWRELEASE_PROMETHEUS=…` and
#                                        `export FLOWRELEASE_PROMTOOL=…` for eval "$(…)"
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/prometheus/<version>-<sha256 of the module files>[:12]/
# {prometheus,promtool}. Tests find them with tests/support/prometheus.py (this script's --print, or the two
# variables above). Without Go the script says how to get it and exits 0; under CI=true it fails instead.
# The web UI's assets are not part of the module (upstream builds them with npm), so the server is built
# without the `builtinassets` tag: its HTTP API works, its UI pages do not. It is built with upstream's
# `remove_all_sd` tag: static, file and HTTP service discovery only (the cloud SDKs of the other discovery
# plugins were most of a 30-minute cold build on 2 shared cores); add `enable_<name>_sd` to TAGS for more.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/tools/prometheus"
VERSION="$(tr -d '[:space:]' <"$MOD/VERSION")"
log() { echo "build-prometheus: $*" >&2; }

mode=build
case "${1:-}" in
  "") ;;
  --print) mode=print ;;
  --env) mode=env ;;
  -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
  *) log "unknown argument: $1"; exit 2 ;;
esac

if ! grep -Eq "^[[:space:]]*github\.com/prometheus/prometheus $VERSION\b" "$MOD/go.mod"; then
  log "ERROR: tools/prometheus/go.mod does not require github.com/prometheus/prometheus $VERSION."
  log "Run: (cd tools/prometheus && go get -tool github.com/prometheus/prometheus/cmd/{prometheus,promtool}@$VERSION && go mod tidy)"
  exit 1
fi

hash="$(cat "$MOD/VERSION" "$MOD/go.mod" "$MOD/go.sum" "$0" | sha256sum | cut -c1-12)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/prometheus"
DIR="$CACHE_ROOT/$VERSION-$hash"

emit() {
  if [[ "$mode" == env ]]; then
    echo "export FLOWRELEASE_PROMETHEUS=$DIR/prometheus"
    echo "export FLOWRELEASE_PROMTOOL=$DIR/promtool"
  else
    echo "$DIR"
  fi
  exit 0
}
[[ "$mode" == print ]] && emit
[[ -x "$DIR/prometheus" && -x "$DIR/promtool" ]] && { log "cached prometheus $VERSION in $DIR"; emit; }

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed, so prometheus/promtool cannot be built (install Go >= 1.26, then rerun)."
  [[ "${CI:-}" == "true" ]] && { log "ERROR: CI=true and the monitoring tests must run"; exit 1; }
  log "Until then the monitoring tests are skipped."
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9 # one build at a time per cache; whoever waited reuses the result
[[ -x "$DIR/prometheus" && -x "$DIR/promtool" ]] && emit
STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

# Module v0.X.Y is Prometheus 3.X.Y; stamp it as upstream's promu does.
release="$(awk -F. '{printf "%d.%d.%s", substr($2, 1, 1), substr($2, 2) + 0, $3}' <<<"${VERSION#v}")"
ldflags="-s -w -X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Branch=module"
TAGS="netgo,remove_all_sd"
start=$SECONDS
log "building prometheus and promtool $release (several minutes cold on 2 cores; cached afterwards)"
(
  cd "$MOD"
  export CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false"
  go build -trimpath -tags "$TAGS" -ldflags "$ldflags" -o "$STAGE/promtool" github.com/prometheus/prometheus/cmd/promtool
  go build -trimpath -tags "$TAGS" -ldflags "$ldflags" -o "$STAGE/prometheus" github.com/prometheus/prometheus/cmd/prometheus
)
log "go build took $((SECONDS - start))s"
"$STAGE/promtool" --version 2>&1 | head -1 >&2
"$STAGE/prometheus" --version 2>&1 | head -1 >&2
rm -rf "$DIR"
mv -T "$STAGE" "$DIR"
trap - EXIT
emit
