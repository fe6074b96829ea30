#!/usr/bin/env bash
# A venv holding only the operator's runtime dependencies (pyproject.toml's [project] dependencies, no test
# extras), as the image installs them: `python -m benchmarks --scenario operator` runs `flowrelease operator`
# from it, with the source tree on PYTHONPATH, so its memory is what a deployment's is (the test extras
# bring the synchronous `kubernetes` client, which kopf imports when it is installed: about 25 MiB more).
# Cached by a hash of Python's version and the requirements:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/venv-operator/<hash>/
# Prints the venv's python on stdout.   scripts/build-operator-venv.sh [--print]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { echo "build-operator-venv: $*" >&2; }

requirements="$(python3 - <<'PY'
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
)"
hash="$(printf '%s\n%s\n' "$(python3 --version)" "$requirements" | sha256sum | cut -c1-12)"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/flowrelease/venv-operator/$hash"
if [[ "${1:-}" == "--print" ]]; then
  echo "$VENV/bin/python"
  exit 0
fi
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.complete" ]]; then
  log "creating $VENV"
  start=$SECONDS
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  printf '%s\n' "$requirements" >"$VENV/requirements.txt"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$VENV/requirements.txt"
  touch "$VENV/.complete"
  log "took $((SECONDS - start))s"
fi
echo "$VENV/bin/python"
