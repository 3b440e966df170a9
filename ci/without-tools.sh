#!/usr/bin/env bash
# Run a command as on a fresh machine: no Slurm, no chromium, no graphviz's dot, no ../shared.
#
#   ci/without-tools.sh python3 -m pytest
#
# The command runs in a mount namespace of its own (unshare --mount; needs root): /dev/null is
# bind-mounted over every such tool found on PATH (shutil.which and `command -v` then find
# none, since /dev/null is not executable) and an empty read-only tmpfs over ../shared. Nothing
# changes outside the namespace: the tools are still there for the next command.
set -euo pipefail

TOOLS="sbatch squeue scancel sacct sinfo srun salloc scontrol sacctmgr sstat
chromium chromium-browser chromedriver google-chrome dot"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(dirname "$ROOT")/shared

if [ $# -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi
if [ "${SDA_WITHOUT_TOOLS:-}" != inside ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "$0: hiding tools needs root (a private mount namespace); run it as root" >&2
    exit 2
  fi
  exec unshare --mount --propagation private env SDA_WITHOUT_TOOLS=inside "$0" "$@"
fi

hidden=()
for tool in $TOOLS; do
  for path in $(type -ap "$tool" || true); do
    mount --bind /dev/null "$path"
    hidden+=("$path")
  done
done
if [ -d "$SHARED" ]; then
  mount -t tmpfs -o size=1m,mode=0555,ro tmpfs "$SHARED"
  hidden+=("$SHARED")
fi
# What the tests ask (shutil.which: an executable file on PATH) must find none of them.
# shellcheck disable=SC2086
if ! python3 -c 'import shutil, sys; found = [t for t in sys.argv[1:] if shutil.which(t)]
sys.exit(f"still found: {found}" if found else 0)' $TOOLS; then
  echo "$0: could not hide every tool" >&2
  exit 1
fi
echo "without-tools: hidden ${#hidden[@]} path(s): ${hidden[*]:-none}" >&2
exec "$@"
