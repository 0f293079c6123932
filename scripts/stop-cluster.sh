#!/usr/bin/env bash
# Stops every TaskManager of conf/workers, then every JobManager of conf/masters, by the pids
# their start recorded; leaves no process behind.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

workers="$(read_conf_lines "$RUNNEL_CONF_DIR/workers" | sort -u)"
[ -n "$workers" ] || workers="localhost"
while read -r worker; do
  run_on "$worker" "$RUNNEL_HOME/scripts/taskmanager.sh" stop-all
done <<<"$workers"

masters="$(read_conf_lines "$RUNNEL_CONF_DIR/masters" | sed 's/:[0-9]*$//' | sort -u)"
[ -n "$masters" ] || masters="localhost"
while read -r master; do
  run_on "$master" "$RUNNEL_HOME/scripts/jobmanager.sh" stop-all
done <<<"$masters"
