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
# Most of the suite waits on time (publishes, bake stages, an apiserver), not on the CPU (16 min of CPU in a
# 47-minute serial run on 2 cores), so the cluster- and process-level folders run in a second pytest beside
# the rest; each has its own basetemp and lists its slowest tests. Arguments (a folder, -k, -x) run one
# pytest over what they name.
if (($#)); then
  python3 -m pytest -q -p no:cacheprovider --durations=25 "$@"
else
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  cluster=(tests/e2e tests/image tests/deploy tests/monitoring tests/benchmarks)
  python3 -m pytest -q -p no:cacheprovider --durations=25 --basetemp="$scratch/cluster" "${cluster[@]}" \
    >"$scratch/cluster.log" 2>&1 &
  cluster_pid=$!
  rest_status=0
  python3 -m pytest -q -p no:cacheprovider --durations=25 --basetemp="$scratch/rest" \
    $(printf -- '--ignore=%s ' "${cluster[@]}") tests || rest_status=$?
  cluster_status=0
  wait "$cluster_pid" || cluster_status=$?
  echo "---- ${cluster[*]}"
  cat "$scratch/cluster.log"
  ((rest_status == 0 && cluster_status == 0)) || exit 1
fi
# The operator's e2e core again, on the lowest kopf and lightkube pyproject.toml allows.
bash scripts/test-lowest-deps.sh
