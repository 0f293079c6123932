#!/usr/bin/env bash
# Starts or stops a TaskManager on this host, as Flink's bin/taskmanager.sh.
#   taskmanager.sh start [-D key=value ...]
#   taskmanager.sh start-foreground [-D key=value ...]
#   taskmanager.sh stop | stop-all
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"

action="${1:-}"
shift || true
case "$action" in
  start) start_daemon taskmanager 'registered with the ResourceManager' "$@" ;;
  start-foreground) exec "$RUNNEL_BIN" taskmanager "$@" ;;
  stop) stop_daemon taskmanager last ;;
  stop-all) stop_daemon taskmanager all ;;
  *)
    echo "Usage: taskmanager.sh start|start-foreground [-D key=value ...] | stop | stop-all" >&2
    exit 2
    ;;
esac
