#!/usr/bin/env bash
# podman with the project's own configuration and storage, so building and running the operator image in
# the tests never reads or changes a user's podman setup:
#   config   scripts/podman/containers.conf (CONTAINERS_CONF: the only file podman reads)
#   storage  ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/podman/storage (images and build layers, kept)
#   state    /run/flowrelease-podman[-<hash of XDG_CACHE_HOME>] (run and tmp dirs, gone after a reboot as
#            podman expects; one per storage, since storages must not share them)
# Usage: scripts/podman.sh <podman arguments>, e.g. scripts/podman.sh images. Needs root (as on CI).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STORAGE="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/podman/storage"
RUN="/run/flowrelease-podman${XDG_CACHE_HOME:+-$(printf %s "$XDG_CACHE_HOME" | sha256sum | cut -c1-8)}"
mkdir -p "$STORAGE" "$RUN"
export CONTAINERS_CONF="$ROOT/scripts/podman/containers.conf"
exec podman --root "$STORAGE" --runroot "$RUN/run" --tmpdir "$RUN/tmp" --storage-driver overlay "$@"
