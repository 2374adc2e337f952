#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted JavaScript expressions for jfmt
# The fix: the same DEMO_REQUESTS concurrent requests, sent to POST /v1/payments, which runs the payment
# script once per order (the order's workflow ID is its idempotency key). Every request gets that one
# run's result; a late retry gets it replayed. Checks from the ledger that the order was charged once.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Single payment: exactly once per order'
require_server
order=$(demo_id single)
amount=42
body="{\"orderId\":\"$order\",\"amount\":$amount}"
url="$SUPERSCRIPT_API_URL/v1/payments?wait=120s"
summary='`workflowId=${r.workflowId} runId=${r.runId} status=${r.status} executed=${r.executed} replayed=${r.replayed}`'

step "Sending $DEMO_REQUESTS identical requests at the same moment:"
say "  -> POST $url $body   (x$DEMO_REQUESTS)"
responses=$(http "$DEMO_REQUESTS" POST "$url" "$body")

step 'What came back:'
i=0 answered=0 executed=0 run_ids=() first=''
while read -r status json; do
  i=$((i + 1))
  if [[ $status == 200 ]]; then
    say "  <- #$i HTTP $status $(jfmt "$json" "$summary")"
    [[ $(jfmt "$json" 'r.status') == succeeded ]] && answered=$((answered + 1))
    [[ $(jfmt "$json" 'r.executed') == true ]] && executed=$((executed + 1))
    run_ids+=("$(jfmt "$json" 'r.runId')")
    first=${first:-$json}
  else
    say "  <- #$i HTTP $status $json"
  fi
done <<<"$responses"
note '  executed=true: this request started the run. executed=false: it arrived while the run was in'
note '  flight, waited for it and got its result. Either way, one run, one runId.'
if [[ -n $first ]]; then
  say "  The run's output: $(jfmt "$first" 'r.result.stdout.trim().split("\n").join(" | ")')"
fi

step 'A late retry, after the run has finished:'
say "  -> POST $url $body"
read -r late_status late_json < <(http 1 POST "$url" "$body")
if [[ $late_status == 200 ]]; then
  say "  <- HTTP $late_status $(jfmt "$late_json" "$summary")"
  late_replayed=$(jfmt "$late_json" 'r.replayed')
  late_run=$(jfmt "$late_json" 'r.runId')
else
  say "  <- HTTP $late_status $late_json"
  late_replayed='' late_run=''
fi
note '  replayed=true: the run had already finished; its recorded result is returned, nothing runs.'

step 'The ledger:'
show_ledger "$order"
count=$(ledger_count "$order")
say "$DEMO_REQUESTS concurrent requests and a retry, $count charge."

step 'Checks:'
check "every concurrent request answered 200 with the succeeded run" "$DEMO_REQUESTS" "$answered"
check "exactly one request started the run" 1 "$executed"
distinct=$(printf '%s\n' "${run_ids[@]}" "$late_run" | sort -u | grep -c . || true)
check "all requests got the same run" 1 "$distinct"
check "the late retry was replayed" true "$late_replayed"
check "order $order charged exactly once (ledger lines)" 1 "$count"
finish
