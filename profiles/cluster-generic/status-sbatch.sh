#!/usr/bin/env bash
# Status command for the cluster-generic profile on Slurm: prints running, success or failed.
# Other schedulers: replace the query (qstat -f <id> for PBS, bjobs -o stat <id> for LSF).
set -u
jobid=$1
state=$(sacct -X -n -P -j "$jobid" -o State 2>/dev/null | head -n 1 | awk '{print $1}')
[ -n "$state" ] || state=$(squeue -h -j "$jobid" -o %T 2>/dev/null)
case "$state" in
COMPLETED) echo success ;;
PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED | RESIZING | SUSPENDED | "") echo running ;;
*) echo failed ;;
esac
