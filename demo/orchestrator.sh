#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted JavaScript expressions for jfmt
# The orchestrator: a batch of orders, some of which were already charged on their own. The batch runs
# one payment per order under the same key a standalone request uses, so it charges only the new ones and
# reports the earlier runs for the rest. A second batch of the same orders charges nothing. Checks from
# the ledger that each order was charged exactly once.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Orchestrator: a batch charges each order once'
require_server
id=$(demo_id orch)
orders=("$id-a" "$id-b" "$id-c" "$id-d")
amounts=(10 20 30 40)

step "Step 1: orders ${orders[0]} and ${orders[1]} are charged on their own, before any batch:"
declare -A first_run=()
for i in 0 1; do
  body="{\"orderId\":\"${orders[i]}\",\"amount\":${amounts[i]}}"
  say "  -> POST $SUPERSCRIPT_API_URL/v1/payments?wait=120s $body"
  read -r status json < <(http 1 POST "$SUPERSCRIPT_API_URL/v1/payments?wait=120s" "$body")
  if [[ $status == 200 ]]; then
    say "  <- HTTP $status $(jfmt "$json" '`status=${r.status} runId=${r.runId} executed=${r.executed}`')"
    first_run[${orders[i]}]=$(jfmt "$json" 'r.runId')
  else
    say "  <- HTTP $status $json"
  fi
done

# batch_orders INDEX...: the JSON array of those orders.
batch_orders() {
  local i sep='' out='['
  for i in "$@"; do
    out+="$sep{\"orderId\":\"${orders[i]}\",\"amount\":${amounts[i]}}"
    sep=','
  done
  printf '%s]\n' "$out"
}

# send_batch BATCH_ID: posts the batch of all four orders, waits for it, prints its progress and each
# order's report (from GET /v1/batches/ID/orders: four orders fit one page), and sets batch_json to its
# progress and orders_json to its orders ('' if it did not end).
send_batch() {
  local body status json
  body="{\"batchId\":\"$1\",\"orders\":$(batch_orders 0 1 2 3)}"
  say "  -> POST $SUPERSCRIPT_API_URL/v1/batches?wait=120s $body"
  read -r status json < <(http 1 POST "$SUPERSCRIPT_API_URL/v1/batches?wait=120s" "$body")
  batch_json=''
  orders_json=''
  if [[ $status != 200 ]]; then
    say "  <- HTTP $status $json"
    return 0
  fi
  batch_json=$(jfmt "$json" 'r.result.progress')
  say "  <- HTTP $status $(jfmt "$json" '`batch ${r.batchId}: status=${r.status}`')" \
    "$(jfmt "$batch_json" '`total=${r.total} succeeded=${r.succeeded} alreadyDone=${r.alreadyDone} failed=${r.failed} conflict=${r.conflict}`')"
  say "  -> GET $SUPERSCRIPT_API_URL/v1/batches/$1/orders"
  read -r status orders_json < <(http 1 GET "$SUPERSCRIPT_API_URL/v1/batches/$1/orders")
  orders_json=$(jfmt "$orders_json" 'r.orders')
  jfmt "$orders_json" 'r.map((o) => `       ${o.orderId}: ${o.disposition.padEnd(12)} outcome=${o.outcome} runId=${o.runId}`).join("\n")'
}

step "Step 2: a batch of all four orders, ${orders[*]}:"
send_batch "$id-1"
batch1=$batch_json
orders1=$orders_json
note '  executed: the batch ran the payment. already_done: it had run before (step 1); the batch reports'
note '  that run (same runId) instead of charging again.'

step 'Step 3: the same four orders in another batch (a retried job, a second scheduler):'
send_batch "$id-2"
batch2=$batch_json

step 'The ledger:'
for order in "${orders[@]}"; do
  show_ledger "$order"
done

step 'Checks:'
for i in 0 1; do
  check "step 1 charged ${orders[i]}" set "${first_run[${orders[i]}]:+set}"
done
if [[ -n $batch1 ]]; then
  check 'batch 1 executed the two new orders' 2 "$(jfmt "$batch1" 'r.succeeded')"
  check 'batch 1 found the two charged in step 1 already done' 2 "$(jfmt "$batch1" 'r.alreadyDone')"
  check 'batch 1: all four done' 4 "$(jfmt "$batch1" 'r.done')"
  for i in 0 1; do
    check "batch 1 reported step 1's run for ${orders[i]}" "${first_run[${orders[i]}]:-}" \
      "$(jfmt "$orders1" "r.find((o) => o.orderId === '${orders[i]}')?.runId ?? ''")"
  done
else
  check 'batch 1 ended' ended 'no result'
fi
if [[ -n $batch2 ]]; then
  check 'batch 2 executed nothing' 0 "$(jfmt "$batch2" 'r.succeeded')"
  check 'batch 2 found all four already done' 4 "$(jfmt "$batch2" 'r.alreadyDone')"
else
  check 'batch 2 ended' ended 'no result'
fi
for order in "${orders[@]}"; do
  check "order $order charged exactly once (ledger lines)" 1 "$(ledger_count "$order")"
done
finish
