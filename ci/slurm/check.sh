#!/usr/bin/env bash
# Prove the workflow on a real Slurm (called by .ci/run when CI=true or SDA_SLURM=1; needs root):
#   1. start a single-node Slurm with accounting (ci/slurm/start.sh);
#   2. run config/test.yaml locally and through `snakemake --profile profiles/slurm`, each in
#      its own copy of the workflow (never in the checkout);
#   3. check with sacct that every job Snakemake submitted ran as a Slurm job, COMPLETED, under
#      the CI account and partition;
#   4. compare the two results/ trees byte for byte (sda.hpc.NONDETERMINISTIC lists what is
#      not compared, and why);
#   5. a failure case: tests/test_slurm.py (a job killed for exceeding mem_mb is reported with
#      its log path, and a re-run with enough memory completes);
#   6. always stop the daemons started in 1, by PID (trap), even when a step fails.
# SDA_SLURM_KEEP=1 keeps the scratch directory ($SDA_SLURM_WORK, default a new /tmp dir).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
export SDA_SLURM_DIR=${SDA_SLURM_DIR:-/tmp/sda-slurm}
W=${SDA_SLURM_WORK:-$(mktemp -d /tmp/sda-slurm-check.XXXXXX)}
NPROC=$(nproc)
PY=$(command -v python3)
export PYTHONPATH="$REPO/scripts${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

say() { printf '[slurm-check %(%H:%M:%S)T] %s\n' -1 "$*"; }
cleanup() {
  local rc=$?
  bash "$REPO/ci/slurm/stop.sh" || true
  if [ "${SDA_SLURM_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "scratch kept in $W"
  else
    rm -rf "$W"
  fi
  [ $rc -eq 0 ] && say "PASSED in ${SECONDS}s" || say "FAILED (exit $rc) after ${SECONDS}s"
}
trap cleanup EXIT

bash "$REPO/ci/slurm/start.sh"
# shellcheck disable=SC1091
. "$SDA_SLURM_DIR/env" # SLURM_CONF, SDA_SLURM_PARTITION, SDA_SLURM_ACCOUNT (read by the profile)

# Copies of what a user clones (the same list the tests use).
"$PY" - "$REPO" "$W" <<'EOF'
import sys
from pathlib import Path

sys.path.insert(0, str(Path(sys.argv[1]) / "tests"))
from conftest import copy_workflow

for name in ("local", "slurm"):
    copy_workflow(Path(sys.argv[2]) / name)
EOF

say "local run of config/test.yaml ($NPROC cores)"
(cd "$W/local" && "$PY" -m snakemake --cores "$NPROC" --configfile config/test.yaml \
  >"$W/local.log" 2>&1) || { tail -n 40 "$W/local.log"; exit 1; }

# Jobs run `python -m snakemake` inside the allocation: sbatch exports this environment
# (--export=ALL), so PATH leads them to this same Python.
say "slurm run of config/test.yaml (--profile profiles/slurm, partition $SDA_SLURM_PARTITION, account $SDA_SLURM_ACCOUNT)"
(cd "$W/slurm" && "$PY" -m snakemake --profile profiles/slurm \
  --slurm-init-seconds-before-status-checks 2 --jobs 6 \
  --cores "$NPROC" --max-threads "$NPROC" --configfile config/test.yaml \
  >"$W/slurm.log" 2>&1) || { tail -n 60 "$W/slurm.log"; exit 1; }
grep -E "^(Using profile|SLURM run ID|Job stats|total )" "$W/slurm.log" || true

sleep 2 # slurmctld hands the last job records to slurmdbd asynchronously
say "sacct: every submitted job is a COMPLETED Slurm job"
"$PY" -m sda.hpc jobs "$W/slurm.log" --account "$SDA_SLURM_ACCOUNT" \
  --partition "$SDA_SLURM_PARTITION"
sacct -X -n -S now-1hours --name "$(sed -n 's/^SLURM run ID: //p' "$W/slurm.log")" \
  -o JobID,Comment%45,State,Elapsed,ReqMem,AllocCPUS | head -n 40

say "results/: local run vs slurm run"
"$PY" -m sda.hpc compare "$W/local/results" "$W/slurm/results"

say "failure case and the other Slurm tests (tests/test_slurm.py)"
(cd "$REPO" && "$PY" -m pytest -q -p no:cacheprovider tests/test_slurm.py -rs)
