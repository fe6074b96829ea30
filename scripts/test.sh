#!/usr/bin/env bash
# The whole test suite, as the README documents it: installs the test dependencies, builds (or reuses the
# cached) kube-apiserver + etcd + kubectl, the health evaluators and kubeconform, runs the linters and every
# test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
if [[ -x scripts/build-control-plane.sh ]]; then
  bash scripts/build-control-plane.sh
fi
bash scripts/build-health-eval.sh
# helm (chart tests) and promtool + prometheus (monitoring tests), from the Go module proxy, cached.
bash scripts/build-helm.sh >/dev/null
bash scripts/build-prometheus.sh >/dev/null
bash scripts/build-kubeconform.sh
ruff check operator tests benchmarks
ruff format --check operator tests benchmarks
mypy
lint-imports
python3 -m pytest -q -p no:cacheprovider --durations=25 "$@"
# The operator's e2e core again, on the lowest kopf and kubernetes_asyncio pyproject.toml allows.
bash scripts/test-lowest-deps.sh
