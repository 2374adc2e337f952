#!/usr/bin/env bash
# Once per checkout: installs the npm dependencies, builds SuperScript, and makes sure the Temporal CLI is
# there (found on PATH or TEMPORAL_CLI_PATH, or built once from its Go module, which takes minutes).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Setup'
command -v node >/dev/null || die 'Node.js 20 or newer is required: https://nodejs.org/'
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js 20 or newer is required; this is $(node --version)."
say "Node $(node --version), npm $(npm --version)"

cd "$ROOT"
step '$ npm install'
npm install --no-audit --no-fund
step '$ npm run build'
npm run build
step '$ superscript setup   (finds or builds the Temporal CLI)'
superscript setup

step 'Ready. Next:'
say '  demo/start.sh           start SuperScript (Temporal dev server + worker + API) in the background'
say '  demo/traditional.sh     concurrent calls without idempotency charge an order several times'
say '  demo/single-payment.sh  the same calls through SuperScript charge it once'
say '  demo/orchestrator.sh    a batch with orders already charged charges each order once'
say '  demo/exec-cron.sh       superscript exec, in a cron-like loop, runs its command once per key'
say '  demo/stop.sh            stop it all'
