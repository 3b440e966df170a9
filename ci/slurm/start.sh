#!/usr/bin/env bash
# Bring up a real single-node Slurm (with accounting) on localhost, from Debian packages,
# without systemd. Needs root. State, logs, pid files and the accounting database live under
# $SDA_SLURM_DIR (default /tmp/sda-slurm). Two things must sit at their compiled-in places:
# munge's socket (/run/munge) and slurm.conf + slurmdbd.conf (/etc/slurm): the executor plugin's
# job step strips SLURM_* variables (SLURM_CONF too) before its inner `srun`, so a config
# elsewhere is not found inside jobs. An existing /etc/slurm/slurm.conf that this script did
# not write is never overwritten.
#
#   bash ci/slurm/start.sh          # install if needed, configure, start; prints the env to use
#   . /tmp/sda-slurm/env            # SLURM_CONF, SDA_SLURM_PARTITION, SDA_SLURM_ACCOUNT
#   bash ci/slurm/stop.sh           # stops exactly the daemons this script started, by PID
#
# Daemons it finds already running (e.g. a system munged) are reused and left alone by stop.sh.
set -euo pipefail

D=${SDA_SLURM_DIR:-/tmp/sda-slurm}
PARTITION=${SDA_SLURM_PARTITION:-ci}
ACCOUNT=${SDA_SLURM_ACCOUNT:-sda}
CLUSTER=${SDA_SLURM_CLUSTER:-sda}
DB_PORT=${SDA_SLURM_DB_PORT:-3307}
HOST=$(hostname -s)
STARTED=$D/started # one line per daemon we started: "<name> <pid file>"
ETC=/etc/slurm
MARK="# Written by ci/slurm/start.sh"

say() { printf '[slurm-start %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() {
  say "ERROR: $*"
  for f in "$D"/log/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  exit 1
}
# wait_for <seconds> <description> <command...>: poll until the command succeeds.
wait_for() {
  local t=$1 what=$2
  shift 2
  for _ in $(seq $((t * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${t}s waiting for $what"
}
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
record() { echo "$1 $2" >>"$STARTED"; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"
if [ -s "$STARTED" ]; then
  die "$STARTED exists: a Slurm from an earlier start may still run; run ci/slurm/stop.sh first"
fi
if [ -e "$ETC/slurm.conf" ] && ! head -n 1 "$ETC/slurm.conf" | grep -qF "$MARK"; then
  die "$ETC/slurm.conf exists and was not written by this script; not touching a real Slurm"
fi

# 1. Packages (Debian 12: Slurm 22.05). --no-install-recommends is enough.
PKGS=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A fresh cluster every time: job ids restart at 1, so an old accounting database would
# hold stale jobs with the same ids.
rm -rf "$D/run" "$D/log" "$D/spool" "$D/mysql" "$D/mysql-run"
install -d -m 755 "$ETC" "$D" "$D/run" "$D/log" "$D/spool/ctld" "$D/spool/d"
install -d -o mysql -g mysql -m 755 "$D/mysql-run"
install -o mysql -g mysql -m 644 /dev/null "$D/log/mariadb.log"
: >"$STARTED"

# 2. munge (authentication between the daemons and the clients).
[ -s /etc/munge/munge.key ] || mungekey --create --force
install -d -o munge -g munge -m 755 /run/munge
if alive /run/munge/munged.pid; then
  say "munged already running (pid $(cat /run/munge/munged.pid)); reusing it"
else
  runuser -u munge -- /usr/sbin/munged
  record munged /run/munge/munged.pid
fi
wait_for 10 munge bash -c 'munge -n | unmunge'

# 3. Accounting: a private MariaDB (own datadir and port) and slurmdbd.
install -d -o mysql -g mysql "$D/mysql"
mariadb-install-db --user=mysql --datadir="$D/mysql" --skip-test-db \
  --auth-root-authentication-method=socket >"$D/log/mariadb-install.log" 2>&1 ||
  die "mariadb-install-db failed (see $D/log/mariadb-install.log)"
SOCK=$D/mysql-run/mysqld.sock
setsid /usr/sbin/mariadbd --user=mysql --datadir="$D/mysql" --socket="$SOCK" \
  --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$D/mysql-run/mariadbd.pid" \
  --log-error="$D/log/mariadb.log" </dev/null >/dev/null 2>&1 &
echo $! >"$D/run/mariadbd.pid" # our own record: mariadbd's pid file is its user's to write
record mariadbd "$D/run/mariadbd.pid"
wait_for 60 mariadb mariadb-admin --socket="$SOCK" ping
mariadb --socket="$SOCK" -e "
  CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'sda';
  CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'sda';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

export SLURM_CONF=$ETC/slurm.conf
cat >"$ETC/slurmdbd.conf" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$D/run/slurmdbd.pid
LogFile=$D/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=sda
StorageLoc=slurm_acct_db
EOF
chmod 600 "$ETC/slurmdbd.conf"

# 4. slurm.conf: one node (this machine, on 127.0.0.1), one partition.
CPUS=$(nproc)
AVAIL_MB=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
MEM_MB=$((AVAIL_MB * 9 / 10))
cat >"$SLURM_CONF" <<EOF
$MARK: a single-node Slurm for CI, as root, no systemd, no cgroups.
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job with no --mem takes the whole node and jobs run one at a time.
DefMemPerCPU=1000
# Finished jobs stay visible to squeue/scontrol for 5 minutes.
MinJobAge=300
ReturnToService=2
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
StateSaveLocation=$D/spool/ctld
SlurmdSpoolDir=$D/spool/d
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# Accounting, so that sacct (the executor plugin's status command) works.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
# Sample every second and kill a step whose memory exceeds its request (a site would
# normally enforce this with cgroups; there are none here).
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

/usr/sbin/slurmdbd
record slurmdbd "$D/run/slurmdbd.pid"
wait_for 60 slurmdbd sacctmgr -n list cluster
sacctmgr -i add cluster "$CLUSTER" >/dev/null 2>&1 || true
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description=sda-ci Organization=sda \
  >/dev/null 2>&1 || true
sacctmgr -i add user root Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null 2>&1 || true

# 5. The controller, then the node daemon.
/usr/sbin/slurmctld
record slurmctld "$D/run/slurmctld.pid"
wait_for 60 slurmctld scontrol ping
/usr/sbin/slurmd
record slurmd "$D/run/slurmd.pid"
wait_for 60 "node $HOST idle" bash -c "sinfo -h -n '$HOST' -o %t | grep -qx idle"

cat >"$D/env" <<EOF
export SLURM_CONF=$SLURM_CONF
export SDA_SLURM_PARTITION=$PARTITION
export SDA_SLURM_ACCOUNT=$ACCOUNT
EOF
say "Slurm $(sinfo -V | awk '{print $2}') up: node $HOST ($CPUS CPUs, ${MEM_MB} MB), partition $PARTITION, account $ACCOUNT"
say "use it with: . $D/env"
