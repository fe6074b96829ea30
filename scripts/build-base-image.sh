#!/usr/bin/env bash
# Builds (once) and caches a stand-in for the Dockerfile's pinned base image `python:3.11-slim-bookworm`,
# which no registry reachable here serves: Debian bookworm (debootstrap, minbase) with Debian's python3.11,
# venv and pip, laid out like the official image (`python`, `python3`, `pip`, `pip3` in /usr/local/bin, no
# EXTERNALLY-MANAGED marker, the slim images' dpkg/apt settings), imported into the project's podman storage
# (scripts/podman.sh).
#
#   scripts/build-base-image.sh          make sure the image is in podman's storage; last stdout line: its tag
#   scripts/build-base-image.sh --print  print the tag it would use, build nothing
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/base-image/<suite>-<sha256 of this script>[:12]/image.tar
# (a `podman save` archive; the suite and package list are in this script, so they are in the hash). When the
# image is missing from storage but the archive exists it is `podman load`ed. Needs root, debootstrap and
# podman; without them it says how to get them and exits 0 (the image tests then skip), under CI=true it fails.
set -euo pipefail

SUITE=bookworm
PACKAGES=(ca-certificates netbase tzdata python3.11 python3-venv python3-pip)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "build-base-image: $*" >&2; }
podman() { bash "$ROOT/scripts/podman.sh" "$@"; }

case "${1:-}" in
  "") mode=build ;;
  --print) mode=print ;;
  -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
  *) log "unknown argument: $1"; exit 2 ;;
esac

hash="$(sha256sum "$0" | cut -c1-12)"
TAG="localhost/flowrelease/python-base:3.11-$SUITE-$hash"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/base-image"
DIR="$CACHE_ROOT/$SUITE-$hash"
[[ "$mode" == print ]] && { echo "$TAG"; exit 0; }

unmet() {
  log "$1"
  log "Install with: apt-get install -y podman runc debootstrap uidmap fuse-overlayfs slirp4netns (as root)"
  [[ "${CI:-}" == "true" ]] && { log "ERROR: CI=true and the image tests must run"; exit 1; }
  log "Until then the image tests are skipped."
  exit 0
}
[[ "$(id -u)" == 0 ]] || unmet "building the base image needs root (debootstrap, podman build --isolation chroot)"
command -v podman >/dev/null || unmet "podman is not installed"
command -v runc >/dev/null || unmet "runc is not installed"

if podman image exists "$TAG"; then
  log "base image $TAG is in podman's storage"
  echo "$TAG"
  exit 0
fi
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9 # one build at a time; whoever waited reuses the result
if [[ ! -f "$DIR/image.tar" ]]; then
  command -v debootstrap >/dev/null || unmet "debootstrap is not installed"
  STAGE="$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")"
  trap 'rm -rf "$STAGE"' EXIT
  rootfs="$STAGE/rootfs"
  start=$SECONDS
  include="$(IFS=,; echo "${PACKAGES[*]}")"
  log "debootstrap $SUITE (minbase + $include); a minute or two, cached afterwards"
  debootstrap --variant=minbase --include="$include" "$SUITE" "$rootfs" >"$STAGE/debootstrap.log" 2>&1 || {
    tail -n 30 "$STAGE/debootstrap.log" >&2
    exit 1
  }

  # apt sources as the official Debian images have them: the suite, its updates and its security archive,
  # from the mirror debootstrap used.
  mirror="$(awk '$1 == "deb" {print $2; exit}' "$rootfs/etc/apt/sources.list")"
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # The Debian slim images' settings: no docs, man pages or translations; .debs deleted after each install.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/tmp/*

  # Python as the official image lays it out: on PATH as python/python3/pip/pip3, and not marked as
  # externally managed (the official image's pip installs into its own interpreter).
  for name in python python3; do ln -s /usr/bin/python3.11 "$rootfs/usr/local/bin/$name"; done
  for name in pip pip3; do ln -s /usr/bin/pip3 "$rootfs/usr/local/bin/$name"; done
  rm -f "$rootfs/usr/lib/python3.11/EXTERNALLY-MANAGED"
  python_version="$(chroot "$rootfs" python3.11 -c 'import platform; print(platform.python_version())')"

  tar --numeric-owner --xattrs -C "$rootfs" -c . | podman import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV PYTHON_VERSION=$python_version" \
    --change 'CMD ["python3"]' \
    --message "debootstrap $SUITE minbase + ${PACKAGES[*]} (scripts/build-base-image.sh $hash)" \
    - "$TAG" >/dev/null
  podman save --format docker-archive -o "$STAGE/image.tar" "$TAG" >&2
  rm -rf "$rootfs" "$STAGE/debootstrap.log"
  rm -rf "$DIR"
  mv -T "$STAGE" "$DIR"
  trap - EXIT
  log "built $TAG (Python $python_version) in $((SECONDS - start))s; archive $DIR/image.tar"
elif ! podman image exists "$TAG"; then
  start=$SECONDS
  podman load -q -i "$DIR/image.tar" >&2
  log "loaded $TAG from $DIR/image.tar in $((SECONDS - start))s"
fi
echo "$TAG"
