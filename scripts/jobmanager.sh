#!/usr/bin/env bash
# Starts or stops a JobManager on this host, as Flink's bin/jobmanager.sh.
#   jobmanager.sh start [host] [rest-port] [-D key=value ...]
#   jobmanager.sh start-foreground [host] [rest-port] [-D key=value ...]
#   jobmanager.sh stop | stop-all
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

action="${1:-}"
shift || true
args=()
if [ $# -gt 0 ] && [ "${1:0:1}" != "-" ]; then args+=(-D "jobmanager.rpc.address=$1"); shift; fi
if [ $# -gt 0 ] && [ "${1:0:1}" != "-" ]; then args+=(-D "rest.port=$1"); shift; fi
args+=("$@")

case "$action" in
  start) start_daemon jobmanager 'REST API listening on port' "${args[@]}" ;;
  start-foreground) exec "$RUNNEL_BIN" jobmanager "${args[@]}" ;;
  stop) stop_daemon jobmanager last ;;
  stop-all) stop_daemon jobmanager all ;;
  *)
    echo "Usage: jobmanager.sh start|start-foreground [host] [rest-port] [-D key=value ...] | stop | stop-all" >&2
    exit 2
    ;;
esac
