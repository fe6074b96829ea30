#!/usr/bin/env bash
# The operator's e2e core (start, a release to Ready with a status write and Events, the write count, peering)
# and the notification socket tests against the LOWEST kopf, lightkube (and its httpx2), websockets and aiohttp
# (the Genesys sender's and the Kubernetes transport's failure paths, presigned uploads) pyproject.toml
# allows (scripts/lowest-deps.txt), so both ends of each range are tested. The venv holds only dependencies
# (the source tree is on PYTHONPATH) and is cached by a hash of the requirements:
# ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/venv-lowest/<hash>/.
#   scripts/test-lowest-deps.sh [pytest args]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { echo "test-lowest-deps: $*" >&2; }
start=$SECONDS

requirements="$(python3 - <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join([*project["dependencies"], *project["optional-dependencies"]["test"]]))
PY
)"
hash="$(printf '%s\n%s\n%s\n' "$(python3 --version)" "$requirements" "$(cat scripts/lowest-deps.txt)" | sha256sum | cut -c1-12)"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/venv-lowest/$hash"
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.complete" ]]; then
  log "creating $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  printf '%s\n' "$requirements" >"$VENV/requirements.txt"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$VENV/requirements.txt" -c scripts/lowest-deps.txt
  touch "$VENV/.complete"
fi
"$VENV/bin/python" -c 'import importlib.metadata as m; print("test-lowest-deps: kopf", m.version("kopf"), "lightkube", m.version("lightkube"), "httpx2", m.version("httpx2"), "websockets", m.version("websockets"), "aiohttp", m.version("aiohttp"))' >&2
PYTHONPATH="$ROOT/operator${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  tests/e2e/test_release_lifecycle.py::test_apply_publishes_exports_and_reports_ready \
  tests/e2e/test_apiserver_writes.py tests/e2e/test_peering.py tests/e2e/test_service_account.py \
  tests/unit/emulator/test_notifications_over_websocket.py tests/contract/client/test_notifications.py \
  tests/contract/client/test_faults.py tests/contract/client/test_jobs.py tests/contract/client/test_senders.py \
  tests/integration/k8s/test_kube_api_failures.py "$@"
log "took $((SECONDS - start))s"
