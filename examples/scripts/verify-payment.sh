#!/usr/bin/env bash
# Verifies a payment: asks the ledger (the stand-in for the payment provider) whether the order was
# charged. Read-only. Runs with the payment's own arguments and environment.
# Exit 0: charged (done). 1: not charged (not done). Anything else: cannot tell.
# Usage: verify-payment.sh ORDER_ID AMOUNT
set -uo pipefail
order_id=$1
ledger=${LEDGER_FILE:-${SUPERSCRIPT_DATA_DIR:-.}/ledger.log}
# collect-payment.sh creates the ledger with its first charge: no ledger, no charge.
if [[ ! -e $ledger ]]; then
  echo "order $order_id was not charged: there is no ledger at $ledger yet"
  exit 1
fi
if ! line=$(awk -v id="$order_id" '$2 == id' "$ledger"); then
  echo "cannot read the ledger $ledger" >&2
  exit 2
fi
if [[ -n $line ]]; then
  echo "order $order_id was charged: $line"
  exit 0
fi
echo "order $order_id was not charged"
exit 1
