#!/usr/bin/env bash
# Prove the workflow on a real Slurm (called by .ci/run when CI=true or SDA_SLURM=1; needs root):
#   1. start a single-node Slurm with accounting (ci/slurm/start.sh);
#   2. run config/test.yaml locally and through `snakemake --profile profiles/slurm`, each in
#      its own copy of the workflow (never in the checkout);
#   3. check with sacct that every job Snakemake ran ended as a COMPLETED Slurm job, under
#      the CI account and partition (a failed attempt is reported, with its log, and accepted
#      only when the profile's retry of it completed);
#   4. compare the two results/ trees byte for byte (slurm_check.NONDETERMINISTIC lists what is
#      not compared, and why);
#   5. dask workers as Slurm jobs (dask.scheduler and text.scheduler: slurm, over lo):
#      array_summary and text_counts run by a local Snakemake, then as Slurm jobs themselves
#      (each starting its worker jobs); their outputs equal the local run's byte for byte, and
#      sacct lists the worker jobs, none left in the queue;
#   6. failure cases: every test marked slurm (pytest -m slurm), e.g. tests/test_slurm.py (a
#      job killed for exceeding mem_mb is reported with its log path, a re-run or a retry with
#      more memory completes) and tests/test_slurm_dask.py (a worker job killed
#      mid-computation fails the rule);
#   7. always stop the daemons started in 1, by PID (trap), even when a step fails.
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

for name in ("local", "slurm", "dask-local", "dask-in-job"):
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
say "sacct: every job ended as a COMPLETED Slurm job (a failed attempt only if its retry completed)"
"$PY" "$REPO/ci/slurm/slurm_check.py" jobs "$W/slurm.log" --account "$SDA_SLURM_ACCOUNT" \
  --partition "$SDA_SLURM_PARTITION" --array-rule generate_blocks
sacct -X -n -S now-1hours --name "$(sed -n 's/^SLURM run ID: //p' "$W/slurm.log")" \
  -o JobID,Comment%45,State,Elapsed,ReqMem,AllocCPUS | head -n 40

say "results/: local run vs slurm run"
"$PY" "$REPO/ci/slurm/slurm_check.py" compare "$W/local/results" "$W/slurm/results"

# dask workers as Slurm jobs: one 1-core worker job per dask rule, over the loopback interface
# (on a cluster: the site's queue and e.g. ib0).
cat >"$W/dask-slurm.yaml" <<EOF
dask:
  scheduler: slurm
  slurm:
    queue: $SDA_SLURM_PARTITION
    account: $SDA_SLURM_ACCOUNT
    cores: 1
    memory: 1GB
    walltime: "00:15:00"
    jobs: 1
    interface: lo
    timeout: 180
text:
  scheduler: slurm
EOF
DASK_OUTPUTS="tables/array_summary.json text/top10.csv text/top5_clean.csv text/frequencies.parquet"
SINCE=$(date +%Y-%m-%dT%H:%M:%S)
say "dask workers as Slurm jobs: array_summary and text_counts from a local Snakemake"
(cd "$W/dask-local" && "$PY" -m snakemake array_summary text_counts --cores "$NPROC" \
  --configfile config/test.yaml "$W/dask-slurm.yaml" >"$W/dask-local.log" 2>&1) ||
  { tail -n 60 "$W/dask-local.log"; exit 1; }
grep -h "SLURMCluster: .* workers in Slurm jobs" "$W"/dask-local/logs/*.log

# The rules as Slurm jobs that start their own worker jobs. Their inputs come from the local
# run; one job at a time with one thread (the rule only holds dask's scheduler), so that this
# 2-CPU node keeps a CPU for the worker job.
say "dask workers as Slurm jobs: the same rules as Slurm jobs themselves"
cp -a "$W/local/results" "$W/local/resources" "$W/dask-in-job/"
rm -f "$W"/dask-in-job/results/tables/array_summary.json "$W"/dask-in-job/results/text/*
(cd "$W/dask-in-job" && "$PY" -m snakemake array_summary text_counts --profile profiles/slurm \
  --slurm-init-seconds-before-status-checks 2 --jobs 1 --cores "$NPROC" \
  --set-threads array_summary=1 text_counts=1 \
  --configfile config/test.yaml "$W/dask-slurm.yaml" >"$W/dask-in-job.log" 2>&1) ||
  { tail -n 60 "$W/dask-in-job.log"; exit 1; }
sleep 2
"$PY" "$REPO/ci/slurm/slurm_check.py" jobs "$W/dask-in-job.log" --account "$SDA_SLURM_ACCOUNT" \
  --partition "$SDA_SLURM_PARTITION"
grep -h "SLURMCluster: .* workers in Slurm jobs" "$W"/dask-in-job/logs/*.log

say "dask outputs: local threads run vs worker jobs (local Snakemake, and rule jobs)"
for run in dask-local dask-in-job; do
  for f in $DASK_OUTPUTS; do
    cmp "$W/local/results/$f" "$W/$run/results/$f" || { say "$run: $f differs"; exit 1; }
  done
done
say "identical: $DASK_OUTPUTS"
say "dask at work: records from the worker jobs, dask's performance report self-contained"
for run in dask-local dask-in-job; do
  "$PY" "$REPO/ci/slurm/slurm_check.py" diagnostics "$W/$run/results" \
    --rule array_summary --rule text_counts --scheduler slurm
done
"$PY" "$REPO/ci/slurm/slurm_check.py" workers --since "$SINCE" --at-least 4
sacct -X -n -S "$SINCE" --name sda-dask -o JobID,JobName,State,Elapsed,AllocCPUS,ReqMem

say "failure cases and the other Slurm tests (every test marked slurm)"
(cd "$REPO" && "$PY" -m pytest -q -p no:cacheprovider -m slurm -rs)
