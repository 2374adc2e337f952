#!/usr/bin/env bash
# Collects a payment: deliberately NOT idempotent. Every run appends one charge line to the ledger, so
# running it twice for one order charges that order twice. SuperScript is what keeps that from happening.
# Usage: collect-payment.sh ORDER_ID AMOUNT
set -euo pipefail
order_id=$1
amount=$2
ledger=${LEDGER_FILE:-${SUPERSCRIPT_DATA_DIR:-.}/ledger.log}
mkdir -p "$(dirname "$ledger")"
echo "charging order $order_id: $amount"
# Slow on purpose, like a real payment provider, so concurrent duplicates visibly race.
sleep "${PAYMENT_DELAY_SECONDS:-0.2}"
printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$order_id" "$amount" >>"$ledger"
echo "charged order $order_id: $amount (run ${SUPERSCRIPT_WORKFLOW_ID:-none}/${SUPERSCRIPT_RUN_ID:-none}, attempt ${SUPERSCRIPT_ATTEMPT:-0})"
# Waiting for the provider's confirmation after the charge: a script stopped here has charged, but its run
# cannot know that (outcome_unknown); verify-payment.sh can.
sleep "${PAYMENT_CONFIRM_SECONDS:-0}"
