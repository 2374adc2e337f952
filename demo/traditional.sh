#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted JavaScript expressions for jfmt
# The problem: the payment script called directly, with no idempotency. DEMO_REQUESTS identical requests
# for one order, sent at the same moment (a double click, a client retrying after a timeout), each run the
# script, so the order is charged once per request. Checks that from the ledger.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Traditional: no idempotency'
require_server
order=$(demo_id trad)
amount=42
body="{\"orderId\":\"$order\",\"amount\":$amount}"
url=$SUPERSCRIPT_API_URL/v1/payments/traditional

step "Sending $DEMO_REQUESTS identical requests at the same moment, as retries and double clicks do:"
say "  -> POST $url $body   (x$DEMO_REQUESTS)"
responses=$(http "$DEMO_REQUESTS" POST "$url" "$body")

step 'What came back:'
i=0 ok=0
while read -r status json; do
  i=$((i + 1))
  if [[ $status == 200 ]]; then
    say "  <- #$i HTTP $status $(jfmt "$json" '`idempotent=${r.idempotent} exit=${r.result.exitCode}: ${r.result.stdout.trim().split("\n").pop()}`')"
    [[ $(jfmt "$json" 'r.result.exitCode') == 0 ]] && ok=$((ok + 1))
  else
    say "  <- #$i HTTP $status $json"
  fi
done <<<"$responses"

step 'The ledger:'
show_ledger "$order"
count=$(ledger_count "$order")
say "One purchase, $count charges: every request ran the payment script."

step 'Checks:'
check "every request answered 200 with exit 0" "$DEMO_REQUESTS" "$ok"
check "one ledger line per request" "$DEMO_REQUESTS" "$count"
check_gt "order $order charged more than once (the problem)" 1 "$count"
finish
