# shellcheck shell=bash
# Settings and helpers shared by the demo scripts. Sourced, not run: `source "$(dirname "$0")/lib.sh"`.
#
# Settings (environment variables, all optional):
#   SUPERSCRIPT_DATA_DIR       where the demo server keeps its state and the ledger (.superscript/demo)
#   SUPERSCRIPT_API_PORT       HTTP API port (8080)
#   SUPERSCRIPT_TEMPORAL_PORT  Temporal gRPC port of the demo's dev server (7233)
#   SUPERSCRIPT_UI_PORT        Temporal Web UI port (8233)
#   SUPERSCRIPT_API_URL        the API's URL (derived from the API port)
#   DEMO_REQUESTS              how many identical requests the payment demos send at once (5)
# Needs bash, node (which the project needs anyway) and coreutils; no curl or jq: HTTP and JSON go
# through node.

DEMO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DEMO_DIR/.." && pwd)

SUPERSCRIPT_DATA_DIR=${SUPERSCRIPT_DATA_DIR:-$ROOT/.superscript/demo}
# A relative data folder is taken from where the demo was started, as `superscript dev` would.
case $SUPERSCRIPT_DATA_DIR in
  /*) ;;
  *) SUPERSCRIPT_DATA_DIR=$PWD/$SUPERSCRIPT_DATA_DIR ;;
esac
SUPERSCRIPT_API_PORT=${SUPERSCRIPT_API_PORT:-8080}
SUPERSCRIPT_TEMPORAL_PORT=${SUPERSCRIPT_TEMPORAL_PORT:-7233}
SUPERSCRIPT_UI_PORT=${SUPERSCRIPT_UI_PORT:-8233}
SUPERSCRIPT_API_URL=${SUPERSCRIPT_API_URL:-http://127.0.0.1:$SUPERSCRIPT_API_PORT}
export SUPERSCRIPT_DATA_DIR SUPERSCRIPT_API_PORT SUPERSCRIPT_TEMPORAL_PORT SUPERSCRIPT_UI_PORT SUPERSCRIPT_API_URL

DEMO_REQUESTS=${DEMO_REQUESTS:-5}
LEDGER=$SUPERSCRIPT_DATA_DIR/ledger.log
# shellcheck disable=SC2034 # used by the scripts that source this file
DEV_LOG=$SUPERSCRIPT_DATA_DIR/dev.log
# shellcheck disable=SC2034
DEV_PID=$SUPERSCRIPT_DATA_DIR/dev.pid

# The project's own CLI, whatever the current folder.
superscript() {
  node "$ROOT/bin/superscript.js" "$@"
}

# --- Printing -----------------------------------------------------------------------------------------

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  _bold=$'\e[1m' _dim=$'\e[2m' _red=$'\e[31m' _green=$'\e[32m' _cyan=$'\e[36m' _reset=$'\e[0m'
else
  _bold='' _dim='' _red='' _green='' _cyan='' _reset=''
fi

title() { printf '\n%s== %s ==%s\n' "$_bold" "$*" "$_reset"; }
step() { printf '\n%s%s%s\n' "$_cyan" "$*" "$_reset"; }
say() { printf '%s\n' "$*"; }
note() { printf '%s%s%s\n' "$_dim" "$*" "$_reset"; }
die() {
  printf '%s%s%s\n' "$_red" "$*" "$_reset" >&2
  exit 1
}

# --- Checks: each prints PASS or FAIL; `finish` exits 1 if any failed. ---------------------------------

_failures=0

# check DESCRIPTION EXPECTED ACTUAL: passes when the two are equal.
check() {
  if [[ $2 == "$3" ]]; then
    printf '%sPASS%s %s\n' "$_green" "$_reset" "$1"
  else
    printf '%sFAIL%s %s: expected %s, got %s\n' "$_red" "$_reset" "$1" "$2" "$3"
    _failures=$((_failures + 1))
  fi
}

# check_gt DESCRIPTION LIMIT ACTUAL: passes when ACTUAL > LIMIT (whole numbers).
check_gt() {
  if (($3 > $2)); then
    printf '%sPASS%s %s\n' "$_green" "$_reset" "$1"
  else
    printf '%sFAIL%s %s: expected more than %s, got %s\n' "$_red" "$_reset" "$1" "$2" "$3"
    _failures=$((_failures + 1))
  fi
}

finish() {
  if ((_failures > 0)); then
    printf '\n%s%s: %d check(s) FAILED%s\n' "$_red$_bold" "$(basename "$0")" "$_failures" "$_reset"
    exit 1
  fi
  printf '\n%s%s: all checks passed%s\n' "$_green$_bold" "$(basename "$0")" "$_reset"
}

# --- IDs, ledger --------------------------------------------------------------------------------------

# A fresh ID for this invocation, so demos can run again and again on one data folder.
demo_id() {
  printf '%s-%s-%s\n' "$1" "$(date -u +%Y%m%d-%H%M%S)" "$$"
}

# The ledger lines of one order (collect-payment.sh writes `<time> <orderId> <amount>`).
ledger_lines() {
  [[ -f $LEDGER ]] || return 0
  awk -v order="$1" '$2 == order' "$LEDGER"
}

ledger_count() {
  ledger_lines "$1" | wc -l | tr -d ' '
}

# Prints an order's ledger lines, indented, with their count.
show_ledger() {
  local lines count
  lines=$(ledger_lines "$1")
  count=$(ledger_count "$1")
  say "Ledger lines for order $1 ($LEDGER): $count"
  if [[ -n $lines ]]; then
    # shellcheck disable=SC2001 # indent every line
    sed 's/^/    /' <<<"$lines"
  fi
}

# The end of dev.log since the last demo/start.sh.
dev_log_tail() {
  awk '/^--- demo\/start.sh /{n=0} {line[++n]=$0} END{for (i = (n > 20 ? n - 19 : 1); i <= n; i++) print line[i]}' "$DEV_LOG"
}

# --- HTTP and JSON, through node ----------------------------------------------------------------------

# http COUNT METHOD URL [BODY]: sends COUNT identical requests at the same moment (from one process, so
# they truly overlap) and prints one line per response, in request order: `<status> <body>`. A request
# that gets no answer at all fails the whole call.
http() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [count, method, url, body] = process.argv.slice(1);
    const send = async () => {
      const res = await fetch(url, {
        method,
        headers: body ? { "content-type": "application/json" } : {},
        body: body || undefined,
        signal: AbortSignal.timeout(300_000),
      });
      return `${res.status} ${(await res.text()).replace(/\n/g, " ")}`;
    };
    Promise.all(Array.from({ length: Number(count) }, send)).then(
      (lines) => console.log(lines.join("\n")),
      (err) => {
        console.error(`${method} ${url} failed: ${err.cause?.message ?? err.message}`);
        process.exit(1);
      },
    );
  ' "$@"
}

# jfmt JSON EXPR: evaluates the JavaScript expression EXPR with `r` bound to the parsed JSON and prints
# the value (strings as they are, anything else as JSON). E.g. jfmt "$body" 'r.result.exitCode'.
jfmt() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const r = JSON.parse(process.argv[1]);
    const value = new Function("r", `return (${process.argv[2]});`)(r);
    process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
  ' "$1" "$2"
}

# Whether the demo server answers /healthz with {"ok": true}.
server_healthy() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then(
      async (res) => process.exit(res.ok && (await res.json()).ok ? 0 : 1),
      () => process.exit(1),
    );
  ' "$SUPERSCRIPT_API_URL/healthz"
}

# Fails with a hint unless the demo server is up.
require_server() {
  server_healthy ||
    die "No SuperScript server answers at $SUPERSCRIPT_API_URL. Run demo/start.sh first (and demo/setup.sh once)."
}
