# slurm-cluster.sh — sourced by the fleet tests: a private single-node
# Slurm cluster for localhost, owned by the test that starts it.
#   slurm_start DIR   munged (its own key and socket), slurmctld and slurmd
#                     with a slurm.conf in DIR; exports SLURM_CONF. Returns
#                     1 with the reason in SLURM_WHY when they cannot start.
#   slurm_stop        stops exactly the processes slurm_start started.
#   slurm_wait JOB SECONDS   until the job (and all its array tasks) left
#                     the queue; 1 on timeout.
# Needs root (SlurmUser=root: the test's jobs run as root, and slurmd must
# be able to start them), munge and slurm-wlm (tests/install-deps.sh).
SLURM_PIDS=()
SLURM_WHY=""

slurm_start() {
	local d=$1 port
	SLURM_DIR=$d
	mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log"
	if [ "$(id -u)" -ne 0 ]; then
		SLURM_WHY="not root: slurmd must run as root to start jobs"
		return 1
	fi
	for t in munged slurmctld slurmd sbatch; do
		command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { SLURM_WHY="$t is not installed"; return 1; }
	done
	export PATH="$PATH:/usr/sbin"
	chmod 0755 "$d/munge"
	dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
	chmod 0400 "$d/munge/munge.key"
	munged --socket="$d/munge/sock" --key-file="$d/munge/munge.key" --pid-file="$d/munge/munged.pid" \
		--log-file="$d/munge/munged.log" --seed-file="$d/munge/seed" 2>"$d/log/munged.err" ||
		{ SLURM_WHY="munged did not start: $(tail -1 "$d/log/munged.err")"; return 1; }
	SLURM_PIDS+=("$(cat "$d/munge/munged.pid")")
	# Ports of our own: another cluster (a parallel test run) keeps its.
	port=$((20000 + ($$ % 2000) * 2))
	cat >"$d/slurm.conf" <<EOF
ClusterName=kenshutest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$d/munge/sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/filetxt
JobCompLoc=$d/jobcomp.txt
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=5
SchedulerParameters=sched_interval=1
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=8192 State=UNKNOWN
PartitionName=kenshu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF=$d/slurm.conf
	slurmctld -f "$SLURM_CONF" -i 2>"$d/log/slurmctld.err" ||
		{ SLURM_WHY="slurmctld did not start: $(tail -1 "$d/log/slurmctld.err")"; slurm_stop; return 1; }
	for _ in $(seq 50); do [ -s "$d/slurmctld.pid" ] && break; sleep 0.1; done
	[ -s "$d/slurmctld.pid" ] && SLURM_PIDS+=("$(cat "$d/slurmctld.pid")")
	slurmd -f "$SLURM_CONF" -N localhost 2>"$d/log/slurmd.err" ||
		{ SLURM_WHY="slurmd did not start: $(tail -1 "$d/log/slurmd.err")"; slurm_stop; return 1; }
	for _ in $(seq 50); do [ -s "$d/slurmd.pid" ] && break; sleep 0.1; done
	[ -s "$d/slurmd.pid" ] && SLURM_PIDS+=("$(cat "$d/slurmd.pid")")
	# Up when the node is idle.
	for _ in $(seq 150); do
		sinfo -h -o %t 2>/dev/null | grep -q '^idle' && return 0
		sleep 0.2
	done
	SLURM_WHY="the node never became idle: $(tail -1 "$d/log/slurmctld.log" 2>/dev/null)"
	slurm_stop
	return 1
}

slurm_stop() {
	local p
	# Our cluster's jobs (SLURM_CONF is ours): ended by Slurm itself, so
	# that no job step outlives the daemons.
	if [ -n "${SLURM_CONF-}" ] && [ ${#SLURM_PIDS[@]} -ge 3 ]; then
		scancel --quiet -u root 2>/dev/null
		for _ in $(seq 100); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
	fi
	# slurmd first: it has the job steps.
	for p in $(printf '%s\n' "${SLURM_PIDS[@]}" | tac); do
		kill "$p" 2>/dev/null
	done
	for p in "${SLURM_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	SLURM_PIDS=()
}

slurm_wait() { # JOB SECONDS
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		[ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
		sleep 1
	done
	return 1
}
