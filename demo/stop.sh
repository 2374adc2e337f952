#!/usr/bin/env bash
# Stops what demo/start.sh started: SIGTERM to `superscript dev` (which stops its API, its worker and its
# Temporal dev server, in that order), waits until it has exited, and makes sure nothing of it is left.
# SUPERSCRIPT_STOP_TIMEOUT: seconds to wait before SIGKILL (60; running scripts get 30 s to finish).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

title 'Stop SuperScript'
timeout_s=${SUPERSCRIPT_STOP_TIMEOUT:-60}

# Fields of /proc/PID/stat after the command name, which may itself hold spaces: state, ppid, pgid, ...
proc_stat() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  printf '%s\n' "${stat##*) }"
}

# Whether PID is a live process (a zombie has exited: it only waits to be reaped).
alive() {
  local state
  if [[ -d /proc/$1 ]]; then
    read -r state _ < <(proc_stat "$1") || return 1
    [[ $state != Z ]]
  else
    kill -0 "$1" 2>/dev/null
  fi
}

# The live processes of process group PGID.
group_members() {
  local f pid state pgid
  for f in /proc/[0-9]*; do
    pid=${f#/proc/}
    read -r state _ pgid _ < <(proc_stat "$pid") || continue
    [[ $pgid == "$1" && $state != Z ]] && printf '%s\n' "$pid"
  done
  return 0
}

if [[ ! -f $DEV_PID ]]; then
  say "Not running: no $DEV_PID."
  exit 0
fi
pid=$(<"$DEV_PID")
[[ $pid =~ ^[0-9]+$ ]] || die "$DEV_PID does not hold a pid: $pid"

# start.sh runs it in a session of its own, so it leads a process group (its Temporal server has its own,
# and SuperScript's reaper ends that server if SuperScript dies without stopping it).
group='' grace=50
if alive "$pid"; then
  if [[ -r /proc/$pid/cmdline ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'superscript.js dev'; then
    say "pid $pid from $DEV_PID is not superscript dev (a stale pid file); leaving it alone."
    rm -f "$DEV_PID"
    exit 0
  fi
  if [[ -d /proc/$pid ]]; then
    read -r _ _ pgid _ < <(proc_stat "$pid")
    [[ $pgid == "$pid" ]] && group=$pgid
  fi
  [[ -z $group ]] || say "Process group $group: $(group_members "$group" | sort -n | tr '\n' ' ')"

  say "\$ kill -TERM $pid"
  kill -TERM "$pid"
  started=$SECONDS
  while alive "$pid"; do
    if ((SECONDS - started > timeout_s)); then
      say "Still running after ${timeout_s} s: SIGKILL."
      if [[ -n $group ]]; then kill -KILL -- "-$group" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
      break
    fi
    sleep 0.2
  done
  say "Exited after $((SECONDS - started)) s. What it logged while stopping:"
  # Its JSON log lines from the last "shutting down" on: each `msg` (and an error's message).
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n");
    const logs = lines.flatMap((line) => { try { return [JSON.parse(line)]; } catch { return []; } });
    const from = logs.map((l) => l.msg).lastIndexOf("shutting down");
    for (const l of from < 0 ? [] : logs.slice(from)) {
      const level = l.level >= 50 ? "ERROR " : l.level >= 40 ? "WARN " : "";
      console.log(`    ${level}${l.msg}${l.err ? `: ${l.err.message}` : ""}`);
    }
  ' "$DEV_LOG" || true
else
  say "superscript dev (pid $pid from $DEV_PID) is not running."
  # If it died, whatever it left in its process group (scripts' leftovers) is ended below.
  group=$pid grace=0
fi

if [[ -n $group ]]; then
  # Its children may still be stopping: give them a moment (orphans of a dead one will not stop).
  for _ in $(seq "$grace"); do
    [[ -z $(group_members "$group") ]] && break
    sleep 0.2
  done
  left=$(group_members "$group" | tr '\n' ' ')
  if [[ -n $left ]]; then
    say "Left running in process group $group: $left"
    for pid_left in $left; do
      say "    $pid_left: $(tr '\0' ' ' <"/proc/$pid_left/cmdline" 2>/dev/null | cut -c1-100)"
    done
    say "\$ kill -TERM -- -$group"
    kill -TERM -- "-$group" 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -z $(group_members "$group") ]] && break
      sleep 0.2
    done
    if [[ -n $(group_members "$group") ]]; then
      say "\$ kill -KILL -- -$group"
      kill -KILL -- "-$group" 2>/dev/null || true
      sleep 0.5
    fi
    [[ -z $(group_members "$group") ]] || die "Could not end process group $group."
  fi
  say "Nothing left running: process group $group is empty."
fi
rm -f "$DEV_PID"
say 'Stopped.'
