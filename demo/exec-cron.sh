#!/usr/bin/env bash
# `superscript exec` as a cron line's prefix: a job fires five times, some firings for a schedule slot
# that already ran (cron fired twice, a host was restarted) and some as several copies at once (the same
# crontab on several hosts). The key is the schedule slot, so the command runs once per slot: every other
# copy prints the recorded output and exits with the recorded code without running it. The command
# appends a line to a file; the check counts the lines.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'superscript exec in a cron-like loop: once per key'
require_server
# exec runs the command here and talks to Temporal itself: the demo server's, whatever the caller's is. It
# names it localhost, as the default TEMPORAL_ADDRESS (localhost:7233) does, to the server `dev` started on
# 127.0.0.1: exec finds its key store all the same.
export TEMPORAL_ADDRESS=localhost:$SUPERSCRIPT_TEMPORAL_PORT TEMPORAL_NAMESPACE=default
# Quiet its own logging (Temporal SDK warnings, as JSON on stderr): this demo shows each copy's stderr.
export SUPERSCRIPT_LOG_LEVEL=${SUPERSCRIPT_LOG_LEVEL:-error}

job=$(demo_id report)
file=$SUPERSCRIPT_DATA_DIR/cron-report.log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The job: not idempotent, it appends a line to $file each time it runs. Slow, so copies overlap.
# shellcheck disable=SC2016 # $1, $2 and $$ are the inner shell's
job_script='sleep 0.5; printf "%s %s pid %s\n" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$$" >>"$2"; echo "report $1 written"'
job_cmd=(bash -c "$job_script" report)

# The cron loop: firing i is for schedule slot slots[i] and starts copies[i] processes at once.
slots=(1 1 2 3 3)
copies=(1 1 3 2 1)
why=('' 'cron fired again for slot 1' 'three hosts, one crontab' 'two hosts' 'a late retry of slot 3')

say 'The job, as a crontab line would run it for schedule slot N (the key names the slot):'
say "  superscript exec --key $job-slotN --name nightly-report -- \\"
say "    bash -c '$job_script' \\"
say "    report $job-slotN $file"

# exec_copy KEY LABEL: one cron copy; its stdout, stderr and exit code go to $tmp/LABEL.*
exec_copy() {
  local rc=0
  superscript exec --key "$1" --name nightly-report -- "${job_cmd[@]}" "$1" "$file" \
    >"$tmp/$2.out" 2>"$tmp/$2.err" || rc=$?
  echo "$rc" >"$tmp/$2.rc"
}

declare -A ran=()
invocations=0 exit_ok=0 output_ok=0
for i in "${!slots[@]}"; do
  key=$job-slot${slots[i]}
  if ((copies[i] == 1)); then how='1 process'; else how="${copies[i]} processes at once"; fi
  step "Firing $((i + 1)): slot ${slots[i]}, $how${why[i]:+ (${why[i]})}"
  pids=()
  for ((c = 0; c < copies[i]; c++)); do
    exec_copy "$key" "$i-$c" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for ((c = 0; c < copies[i]; c++)); do
    invocations=$((invocations + 1))
    rc=$(<"$tmp/$i-$c.rc")
    out=$(<"$tmp/$i-$c.out")
    if grep -q 'already ran' "$tmp/$i-$c.err"; then
      what='replayed, did not run it'
    else
      what='RAN the command'
      ran[$key]=$((${ran[$key]:-0} + 1))
    fi
    say "  copy $((c + 1)): exit $rc, $what; stdout: $out"
    if [[ -s $tmp/$i-$c.err ]]; then
      sed 's/^/          stderr: /' "$tmp/$i-$c.err"
    fi
    [[ $rc == 0 ]] && exit_ok=$((exit_ok + 1))
    [[ $out == "report $key written" ]] && output_ok=$((output_ok + 1))
  done
done

step "The file the command appends to ($file), this run's lines:"
lines=$(grep -F " $job-slot" "$file" || true)
# shellcheck disable=SC2001 # indent every line
[[ -z $lines ]] || sed 's/^/    /' <<<"$lines"
keys=$(printf '%s\n' "${slots[@]}" | sort -u | wc -l | tr -d ' ')
say "$invocations invocations, $keys keys, $(grep -c . <<<"$lines" || true) lines."

step 'Checks:'
check 'every copy exited 0' "$invocations" "$exit_ok"
check "every copy printed its slot's output (run or replayed)" "$invocations" "$output_ok"
for slot in $(printf '%s\n' "${slots[@]}" | sort -u); do
  key=$job-slot$slot
  check "slot $slot: one copy ran the command" 1 "${ran[$key]:-0}"
  check "slot $slot: one line in the file" 1 "$(awk -v key="$key" '$2 == key' "$file" | wc -l | tr -d ' ')"
done
check 'one line per key in all' "$keys" "$(grep -c . <<<"$lines" || true)"
finish
