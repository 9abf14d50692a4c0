#!/bin/sh
# Runs the cluster commands against a real OpenShift cluster, the same commands the fake API
# server tests run. Read-only unless LLW_E2E_APPLY=1.
#
#   LLW_E2E_KUBECONFIG=~/.kube/attendee-01 [LLW_E2E_CONTEXT=admin] sh scripts/e2e-cluster.sh
#
# LLW_E2E_REPO=<url> is the repository Argo CD syncs (default: the origin remote, credentials
# removed by llw); LLW_E2E_REVISION=<commit or tag> what it syncs (default: this checkout's HEAD
# commit, which must be pushed there).
# LLW_E2E_APPLY=1 also runs `llw install` (GitOps mode, without the tuning) and `llw tune apply`
# of the c5.metal tuning: that reboots the metal workers once.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${LLW_E2E_KUBECONFIG:-}" ]; then
  echo "e2e-cluster: LLW_E2E_KUBECONFIG is not set; nothing to do (set it to a cluster-admin kubeconfig)" >&2
  exit 0
fi
export KUBECONFIG="$LLW_E2E_KUBECONFIG"
NODE="${NODE:-node}"
LLW="$NODE bin/llw.js"
CTX=""
if [ -n "${LLW_E2E_CONTEXT:-}" ]; then CTX="--context $LLW_E2E_CONTEXT"; fi
P=gitops/overlays/aws/performance-profiles
TUNING="${LLW_E2E_TUNING:-$P/machine-config-pool.yaml $P/c5.metal.yaml}"
# Argo CD syncs this repository at this revision (default: the origin remote at HEAD).
REPO=""
if [ -n "${LLW_E2E_REPO:-}" ]; then REPO="--repo $LLW_E2E_REPO"; fi
if [ -n "${LLW_E2E_REVISION:-}" ]; then REPO="$REPO --revision $LLW_E2E_REVISION"; fi

step() { printf '\n== %s\n' "$*"; }
# doctor exits 1 when a check fails: that is a result, not an error of this script.
step "llw doctor --no-node-access"
$LLW doctor $CTX --no-node-access || [ $? -eq 1 ]
mkdir -p test-artifacts
step "llw doctor -o json (with node access)"
$LLW doctor $CTX -o json > test-artifacts/e2e-doctor.json 2>/dev/null || [ $? -eq 1 ]
echo "wrote test-artifacts/e2e-doctor.json"
step "llw install --dry-run"
$LLW install $CTX $REPO --dry-run
# The change set is linted against the cluster's CRDs (a clone has no schema directory).
step "llw tune apply --dry-run --schemas-from-cluster $TUNING"
$LLW tune apply $CTX --dry-run --schemas-from-cluster $TUNING
if [ "${LLW_E2E_APPLY:-0}" = "1" ]; then
  step "llw install"
  $LLW install $CTX $REPO
  step "llw tune apply --schemas-from-cluster $TUNING"
  $LLW tune apply $CTX --schemas-from-cluster $TUNING
  step "llw doctor"
  $LLW doctor $CTX
fi
step "e2e-cluster: done"
