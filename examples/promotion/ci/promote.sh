#!/usr/bin/env bash
# The promotion without a cluster, as a CI job runs it: render each environment's overlay, then one
# `flowrelease sync` over the three. sync runs dev, then test, then prod (spec.promotion.requires), and
# prod's gate opens only once test has verified the same change in this run.
#
#   examples/promotion/ci/promote.sh --emulator     # one emulator per org, no Genesys needed
#   examples/promotion/ci/promote.sh                # real orgs: the Secrets must hold real clients
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rendered="${RENDERED_DIR:-$(mktemp -d)}"
for env in dev test prod; do
  kubectl kustomize "$here/overlays/$env" > "$rendered/$env.yaml"
done
exec flowrelease sync "$rendered" --state "$rendered/.flowrelease/state.json" "$@"
