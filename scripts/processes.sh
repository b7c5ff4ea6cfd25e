# shellcheck shell=bash
# Helpers of the scripts that start local servers (ensure-builder.sh, ensure-caprover.sh): their
# commands, whether a PID file names a live process of a given program, stopping only such a
# process, bounded waits, and Debian packages installed when missing. Expects say, warn and die
# from the sourcing script.

# The commands every such script takes: stop, status and env end the script; start (the default)
# returns so the script goes on. Expects the script's stop, status and print_env.
run_command() { # command
  case "$1" in
    stop) stop; exit 0 ;;
    status) status; exit $? ;;
    env) print_env; exit 0 ;;
    start) ;;
    *) die "unknown command '$1': use start (default), stop, status or env" ;;
  esac
}

# A PID file whose process is alive and is the named program.
running() { # pidfile program
  [ -f "$1" ] || return 1
  local pid; pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]
}

# Stops the process a PID file names, only if it is still the program this script started (a PID
# file can outlive its process: a reboot, a kill), waiting up to SECONDS before SIGKILL.
stop_pid() { # pidfile program label seconds
  local pidfile=$1 program=$2 label=$3 seconds=${4:-5} pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if running "$pidfile" "$program"; then
    kill "$pid"
    for _ in $(seq 1 $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { warn "$label (PID $pid) did not stop in $seconds s; sending SIGKILL"; kill -9 "$pid" || true; }
    say "stopped $label (PID $pid)"
  fi
  rm -f "$pidfile"
}

# Runs a command up to N times, 0.1 s apart, until it succeeds.
wait_for() { # tries command...
  local tries=$1; shift
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# Installs the Debian packages that are missing (needs root); the package lists may be missing on
# a fresh machine, so a failed install updates them once. Logs to $LOGS/apt.log.
ensure_apt_packages() { # package...
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get here; install them by other means"
  [ "$(id -u)" = 0 ] || die "missing Debian packages ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
  say "installing ${missing[*]} with apt-get ..."
  mkdir -p "$LOGS"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1 ||
    { apt-get update >>"$LOGS/apt.log" 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1; } ||
    { tail -n 15 "$LOGS/apt.log" >&2; die "apt-get could not install ${missing[*]} (log: ${LOGS#"$ROOT"/}/apt.log)"; }
}
