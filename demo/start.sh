#!/usr/bin/env bash
# Starts `superscript dev` (Temporal dev server + worker + HTTP API) in the background, its output in
# <data>/dev.log and its pid in <data>/dev.pid, and waits until the API answers /healthz.
# Stop it with demo/stop.sh. SUPERSCRIPT_START_TIMEOUT: how long to wait, in seconds (180).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Start SuperScript'
timeout_s=${SUPERSCRIPT_START_TIMEOUT:-180}
[[ -f $ROOT/dist/cli/main.js ]] || die 'SuperScript is not built yet: run demo/setup.sh first.'
mkdir -p "$SUPERSCRIPT_DATA_DIR"

if [[ -f $DEV_PID ]] && kill -0 "$(cat "$DEV_PID")" 2>/dev/null; then
  require_server
  say "Already running (pid $(cat "$DEV_PID")), API at $SUPERSCRIPT_API_URL."
  exit 0
fi
if server_healthy; then
  die "Something else already answers at $SUPERSCRIPT_API_URL (not started from $DEV_PID). Stop it, or choose other ports with SUPERSCRIPT_API_PORT, SUPERSCRIPT_TEMPORAL_PORT, SUPERSCRIPT_UI_PORT."
fi

# The ledger the demos count is the data folder's: a LEDGER_FILE from the caller would move it.
unset LEDGER_FILE
cmd=(node "$ROOT/bin/superscript.js" dev
  --data-dir "$SUPERSCRIPT_DATA_DIR"
  --port "$SUPERSCRIPT_API_PORT"
  --temporal-port "$SUPERSCRIPT_TEMPORAL_PORT"
  --ui-port "$SUPERSCRIPT_UI_PORT")
say "\$ ${cmd[*]} >>$DEV_LOG 2>&1 &"
printf '\n--- demo/start.sh %s ---\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$DEV_LOG"
# In a session of its own (when setsid is there), so a Ctrl-C meant for this terminal leaves it running,
# and its process group (it and the Temporal server it starts) is one thing for stop.sh to end.
cd "$ROOT"
if command -v setsid >/dev/null; then
  setsid "${cmd[@]}" </dev/null >>"$DEV_LOG" 2>&1 &
else
  nohup "${cmd[@]}" </dev/null >>"$DEV_LOG" 2>&1 &
fi
pid=$!
echo "$pid" >"$DEV_PID"
say "pid $pid (in $DEV_PID); waiting for $SUPERSCRIPT_API_URL/healthz (up to ${timeout_s} s; the first start may build the Temporal CLI)..."

started=$SECONDS
until server_healthy; do
  if ! kill -0 "$pid" 2>/dev/null; then
    say 'superscript dev exited before it was ready. The end of its log:'
    dev_log_tail | sed 's/^/    /'
    "$DEMO_DIR/stop.sh" || true
    die 'Start failed. A port in use? Choose others with SUPERSCRIPT_API_PORT, SUPERSCRIPT_TEMPORAL_PORT, SUPERSCRIPT_UI_PORT.'
  fi
  if ((SECONDS - started > timeout_s)); then
    say "Not ready after ${timeout_s} s; stopping it. The end of its log:"
    dev_log_tail | sed 's/^/    /'
    "$DEMO_DIR/stop.sh" || true
    die 'Start failed.'
  fi
  sleep 0.5
done

say "Ready after $((SECONDS - started)) s:"
# The banner `superscript dev` printed (its other lines are JSON logs).
sed -n '/^SuperScript dev is running/,/^Press Ctrl-C/p' "$DEV_LOG" | tail -n 8 | sed '/^Press Ctrl-C/d; s/^/    /'
note "Log: $DEV_LOG. Stop with demo/stop.sh."
