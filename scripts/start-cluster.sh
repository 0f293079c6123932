#!/usr/bin/env bash
# Starts a standalone cluster: a JobManager for each line of conf/masters (host:rest-port)
# and a TaskManager for each line of conf/workers (a host; repeated, several TaskManagers).
# Returns once every process is up, or fails naming the one that did not come up.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

masters="$(read_conf_lines "$RUNNEL_CONF_DIR/masters")"
[ -n "$masters" ] || masters="localhost:8081"
echo "Starting cluster."
while read -r master; do
  host="${master%:*}"
  port="${master##*:}"
  [ "$host" = "$master" ] && port=""
  run_on "$host" "$RUNNEL_HOME/scripts/jobmanager.sh" start "$host" ${port:+"$port"}
done <<<"$masters"

workers="$(read_conf_lines "$RUNNEL_CONF_DIR/workers")"
[ -n "$workers" ] || workers="localhost"
while read -r worker; do
  run_on "$worker" "$RUNNEL_HOME/scripts/taskmanager.sh" start
done <<<"$workers"
