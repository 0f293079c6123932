# Shared by the cluster scripts (sourced, not run): where things are, and the daemon helpers.
# Honours RUNNEL_CONF_DIR, RUNNEL_LOG_DIR and RUNNEL_PID_DIR.

RUNNEL_HOME="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNNEL_BIN="$RUNNEL_HOME/scripts/runnel"
RUNNEL_CONF_DIR="${RUNNEL_CONF_DIR:-$RUNNEL_HOME/conf}"
RUNNEL_LOG_DIR="${RUNNEL_LOG_DIR:-$RUNNEL_HOME/log}"
RUNNEL_PID_DIR="${RUNNEL_PID_DIR:-/tmp/runnel-pids-$(id -un)}"
export RUNNEL_CONF_DIR

# How long a daemon may take to come up before its start counts as failed.
RUNNEL_START_TIMEOUT_SECONDS="${RUNNEL_START_TIMEOUT_SECONDS:-60}"

# Lines of a conf file without comments and blank lines.
read_conf_lines() {
  local file="$1"
  [ -f "$file" ] || return 0
  sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$file" | grep -v '^$' || true
}

is_local_host() {
  case "$1" in
    localhost | 127.* | ::1 | "$(hostname)" | "$(hostname -f 2>/dev/null || hostname)") return 0 ;;
    *) return 1 ;;
  esac
}

# run_on HOST COMMAND...: runs a script here, or on HOST over ssh with the same folders.
run_on() {
  local host="$1"
  shift
  if is_local_host "$host"; then
    "$@"
  else
    ssh -n "$host" "RUNNEL_CONF_DIR='$RUNNEL_CONF_DIR' RUNNEL_LOG_DIR='$RUNNEL_LOG_DIR' RUNNEL_PID_DIR='$RUNNEL_PID_DIR' $(printf '%q ' "$@")"
  fi
}

# pid_alive PID: the process exists.
pid_alive() {
  kill -0 "$1" 2>/dev/null
}

# start_daemon KIND ARGS...: starts `runnel KIND ARGS...` in the background with its own log
# file, appends its pid to $RUNNEL_PID_DIR/KIND.pid, and waits until its log shows it up
# (READY_PATTERN) — or fails naming the process and its log.
start_daemon() {
  local kind="$1" ready_pattern="$2"
  shift 2
  mkdir -p "$RUNNEL_LOG_DIR" "$RUNNEL_PID_DIR"
  local pid_file="$RUNNEL_PID_DIR/$kind.pid"
  local n=0
  while [ -e "$RUNNEL_LOG_DIR/runnel-$kind-$n-$(hostname).log" ]; do n=$((n + 1)); done
  local log="$RUNNEL_LOG_DIR/runnel-$kind-$n-$(hostname).log"
  nohup "$RUNNEL_BIN" "$kind" "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >>"$pid_file"
  local waited=0
  while ! grep -q -E "$ready_pattern" "$log" 2>/dev/null; do
    if ! pid_alive "$pid"; then
      echo "Could not start the $kind (pid $pid): it exited. Its log, $log, ends with:" >&2
      tail -n 5 "$log" >&2
      return 1
    fi
    if [ "$waited" -ge $((RUNNEL_START_TIMEOUT_SECONDS * 10)) ]; then
      echo "The $kind (pid $pid) did not come up within $RUNNEL_START_TIMEOUT_SECONDS s; see $log." >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "Started $kind daemon (pid $pid) on $(hostname), logging to $log."
}

# stop_pid PID: SIGTERM, then wait for it to go (SIGKILL after 30 s).
stop_pid() {
  local pid="$1" waited=0
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_alive "$pid"; do
    if [ "$waited" -ge 300 ]; then
      echo "Process $pid did not stop within 30 s of SIGTERM; killing it." >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# stop_daemon KIND [all]: stops the last started process of KIND (or all of them) from its pid file.
stop_daemon() {
  local kind="$1" which="${2:-last}"
  local pid_file="$RUNNEL_PID_DIR/$kind.pid"
  if [ ! -s "$pid_file" ]; then
    echo "No $kind daemon to stop on $(hostname)."
    return 0
  fi
  local pids
  if [ "$which" = all ]; then pids="$(cat "$pid_file")"; else pids="$(tail -n 1 "$pid_file")"; fi
  for pid in $pids; do
    if pid_alive "$pid"; then
      echo "Stopping $kind daemon (pid $pid) on $(hostname)."
      stop_pid "$pid"
    fi
    # Drop the pid from the file.
    grep -v -x "$pid" "$pid_file" >"$pid_file.tmp" || true
    mv "$pid_file.tmp" "$pid_file"
  done
  [ -s "$pid_file" ] || rm -f "$pid_file"
}
