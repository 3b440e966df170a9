#!/usr/bin/env bash
# Stop exactly the daemons ci/slurm/start.sh started (listed in $SDA_SLURM_DIR/started), by
# PID, in reverse order of start; then remove their pid files and the configs it wrote into
# /etc/slurm. Safe to run twice.
# SDA_SLURM_PURGE=1 also deletes $SDA_SLURM_DIR (configs, logs, the accounting database).
set -uo pipefail

D=${SDA_SLURM_DIR:-/tmp/sda-slurm}
STARTED=$D/started
say() { printf '[slurm-stop %(%H:%M:%S)T] %s\n' -1 "$*"; }

if [ ! -s "$STARTED" ]; then
  say "nothing to stop ($STARTED is empty or absent)"
else
  tac "$STARTED" | while read -r name pidfile; do
    if [ ! -s "$pidfile" ]; then
      say "$name: no pid file $pidfile (already stopped)"
      continue
    fi
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
      fi
      say "stopped $name (pid $pid)"
    else
      say "$name (pid $pid) was not running"
    fi
    rm -f "$pidfile"
  done
  rm -f "$STARTED" "$D/env"
fi

# The configs start.sh wrote into /etc/slurm (only those carrying its first-line mark).
for f in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf; do
  if [ -e "$f" ] && head -n 1 "$f" | grep -qF "# Written by ci/slurm/start.sh"; then
    rm -f "$f"
  fi
done

if [ "${SDA_SLURM_PURGE:-0}" = 1 ]; then
  case "$D" in
  /tmp/* | /var/tmp/*) rm -rf "$D" && say "removed $D" ;;
  *) say "not purging $D (only paths under /tmp or /var/tmp are purged)" ;;
  esac
fi
