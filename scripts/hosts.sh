#!/bin/bash
# Boot N hosts (QEMU VMs running our kernel) on one shared pool, with an
# ivshmem-doorbell device each, run a guest job on all of them, collect
# their serial logs, and tear everything down whatever happens. A host that
# prints MORSEL-KILL-ME on its console is killed with SIGKILL (failure tests).
#
#   hosts.sh [options] JOB
#     -n HOSTS      number of hosts (default 2, 1..8)
#     -c VCPUS      vCPUs per host (default 1; 2 for in-host TLB shootdown)
#     -m POOL_MB    pool size in MiB (default 256)
#     -r RAM_MB     each host's own RAM in MiB (default 512, 256..3072: below
#                   the pool, which sits at guest-physical 4 GiB)
#     -t SECONDS    wall-clock bound for the whole run (default 300)
#     -o DIR        run directory for logs (default out/runs/JOB-TIMESTAMP)
#     -p FILE       pool file (default: a fresh one in /dev/shm, removed after)
#     -k            keep the pool file (with -p: never truncate it)
#     -l H:SEC      start host H SEC seconds after the others (late join)
#     -a ARGS       extra kernel command line (repeatable)
#     -N            dual-NUMA binding: pool memory on host node 0, VMs on 1
#     -P            no doorbell device: the polled back-end (real CXL 3.0 has
#                   no inter-host interrupt); host ids from morsel.host_id=
#     -K VARIANT    boot out/bzImage-VARIANT (debug: the sanitizer kernel of
#                   MORSEL_KVARIANT=debug scripts/kernel.sh; kcsan: KCSAN)
#     -i            interactive: each host's console on a UNIX socket (listed
#                   in DIR/consoles, logged to DIR/hostN.log as well), for
#                   scripts/console.sh; attach with socat
#     -x PATH       add PATH (a program or a directory of them) to every
#                   guest's /usr/local/bin, which is on its PATH
#
# The pool is a pc-dimm backed by a shared file at guest-physical 4 GiB on
# NUMA node 1, soft-reserved with memmap= so that the guest sees a DAX range
# and never puts it in its page allocator (DESIGN.md section 2).
set -euo pipefail
. "$(dirname "$0")/config.sh"

HOSTS=2 VCPUS=1 POOL_MB=256 RAM_MB=512 TIMEOUT=300 RUN= POOL= KEEP=0 EXTRA= NUMA=0 POLLED=0 KIMAGE=
INTERACTIVE=0 ADD=()
declare -A LATE=()
while getopts "n:c:m:r:t:o:p:kl:a:NPK:ix:" opt; do
	case $opt in
	n) HOSTS=$OPTARG ;;
	c) VCPUS=$OPTARG ;;
	m) POOL_MB=$OPTARG ;;
	r) RAM_MB=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	o) RUN=$OPTARG ;;
	p) POOL=$OPTARG ;;
	k) KEEP=1 ;;
	l) LATE[${OPTARG%%:*}]=${OPTARG#*:} ;;
	a) EXTRA+=" $OPTARG" ;;
	N) NUMA=1 ;;
	P) POLLED=1 ;;
	K) KIMAGE=$OUT/bzImage-$OPTARG ;;
	i) INTERACTIVE=1 ;;
	x) [[ -e $OPTARG ]] || die "-x $OPTARG: no such file or directory"
	   ADD+=("$OPTARG") ;;
	*) sed -n '2,/^set/p' "$0" | sed '$d'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
JOB=${1:?usage: hosts.sh [options] JOB}
[[ $HOSTS =~ ^[1-8]$ ]] || die "host count must be 1..8, not '$HOSTS'"
[[ $VCPUS =~ ^[1-8]$ ]] || die "vCPUs per host must be 1..8, not '$VCPUS'"
[[ $RAM_MB =~ ^[0-9]+$ ]] && ((RAM_MB >= 256 && RAM_MB <= 3072)) ||
	die "RAM per host must be 256..3072 MiB, not '$RAM_MB'"
[[ $POOL_MB =~ ^[0-9]+$ ]] && ((POOL_MB >= 64 && POOL_MB % 2 == 0)) ||
	die "pool size must be an even number of MiB >= 64, not '$POOL_MB'"
KIMAGE=${KIMAGE:-$OUT/bzImage}
for f in "$KIMAGE" "$OUT/initramfs.cpio" "$OUT/ivshmem-server"; do
	[[ -f $f ]] || die "$f missing: run 'make' first"
done

RUN=${RUN:-$OUT/runs/$JOB-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$RUN"
TAG=morsel-$$
OWN_POOL=0
if [[ -z $POOL ]]; then
	POOL=/dev/shm/$TAG-pool
	OWN_POOL=1
fi
DBSHM=/dev/shm/$TAG-doorbell
# A UNIX socket path has at most 107 bytes: the socket lives in a private
# directory with a short path, not under a checkout that may be deep.
SOCKDIR=$(mktemp -d /tmp/morsel-XXXXXX)
SOCK=$SOCKDIR/ivshmem.sock
PIDS=()
SERVER=

cleanup() {
	local pid
	for pid in "${PIDS[@]}" $SERVER; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in "${PIDS[@]}" $SERVER; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -f "$DBSHM" "$SOCK" "$SOCKDIR"/host*.console
	rmdir "$SOCKDIR" 2>/dev/null || true
	if ((OWN_POOL && !KEEP)); then rm -f "$POOL"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- accelerator: KVM only if a probe boot works here (scripts/kvm-probe.sh)
ACCEL=$("$REPO/scripts/kvm-probe.sh")
if [[ $ACCEL == kvm ]]; then
	ACCEL_OPT=(-accel kvm -cpu host)
else
	# thread=multi and maxcpus >= 2, or atomics on the pool are not atomic
	# between hosts (notes/emulation.md, section 0.2).
	ACCEL_OPT=(-accel tcg,thread=multi)
fi
MAXCPUS=$((VCPUS < 2 ? 2 : VCPUS))

# --- dual-NUMA binding (the thesis set-up): pool on node 0, VMs on node 1
POOL_BIND= NUMACTL=()
if ((NUMA)); then
	nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	if ((nodes >= 2)) && command -v numactl >/dev/null; then
		POOL_BIND=",host-nodes=0,policy=bind"
		NUMACTL=(numactl --cpunodebind=1 --membind=1)
		log "dual-NUMA: pool memory bound to node 0, hosts to node 1"
	else
		log "dual-NUMA requested but this machine has $nodes NUMA node(s): running without binding"
	fi
fi

# --- the pool file and the doorbell server
if ((OWN_POOL)) || [[ ! -f $POOL ]] || ((!KEEP)); then
	rm -f "$POOL"
	truncate -s "${POOL_MB}M" "$POOL"
fi
[[ $(stat -c %s "$POOL") -eq $((POOL_MB << 20)) ]] ||
	die "pool file $POOL is not $POOL_MB MiB"
"$OUT/ivshmem-server" -S "$SOCK" -M "$DBSHM" -l 1M -n 1 -v 2>"$RUN/ivshmem-server.log" &
SERVER=$!
for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
[[ -S $SOCK ]] || die "ivshmem-server did not start (see $RUN/ivshmem-server.log)"

# The user's programs (-x): a second cpio archive after ours, which the
# kernel unpacks over it.
INITRD=$OUT/initramfs.cpio
if ((${#ADD[@]})); then
	mkdir -p "$RUN/add/usr/local/bin"
	for a in "${ADD[@]}"; do
		if [[ -d $a ]]; then cp -a "$a/." "$RUN/add/usr/local/bin/"; else cp -a "$a" "$RUN/add/usr/local/bin/"; fi
	done
	(cd "$RUN/add" && find . -print0 | cpio --null -o -H newc --quiet) >"$RUN/add.cpio"
	cat "$OUT/initramfs.cpio" "$RUN/add.cpio" >"$RUN/initrd.cpio"
	INITRD=$RUN/initrd.cpio
	log "added to every guest's /usr/local/bin: $(ls "$RUN/add/usr/local/bin" | tr '\n' ' ')"
fi

CMDLINE="console=ttyS0 panic=-1 oops=panic quiet loglevel=4 kunit.enable=0"
CMDLINE+=" memmap=${POOL_MB}M%0x100000000+0xefffffff"
CMDLINE+=" mjob=$JOB mhosts=$HOSTS maccel=$ACCEL mvcpus=$VCPUS $EXTRA"

start_host() {
	local i=$1 db=(-chardev "socket,path=$SOCK,id=ivsh"
		-device ivshmem-doorbell,chardev=ivsh,vectors=1) id=
	local serial=(-serial "file:$RUN/host$i.log")
	if ((INTERACTIVE)); then
		serial=(-chardev "socket,id=con,path=$SOCKDIR/host$i.console,server=on,wait=off,logfile=$RUN/host$i.log"
			-serial chardev:con)
		echo "$SOCKDIR/host$i.console" >>"$RUN/consoles"
	fi
	if ((POLLED)); then
		db=()
		id="morsel.host_id=$i"
	fi
	"${NUMACTL[@]}" qemu-system-x86_64 -name "$TAG-host$i" \
		"${ACCEL_OPT[@]}" -smp "$VCPUS,maxcpus=$MAXCPUS" \
		-m ${RAM_MB}M,slots=2,maxmem=$((RAM_MB + POOL_MB))M \
		-object memory-backend-ram,id=m0,size=${RAM_MB}M \
		-numa node,nodeid=0,cpus=0-$((MAXCPUS - 1)),memdev=m0 -numa node,nodeid=1 \
		-object "memory-backend-file,id=pool,share=on,mem-path=$POOL,size=${POOL_MB}M$POOL_BIND" \
		-device pc-dimm,id=d0,memdev=pool,addr=0x100000000,node=1 \
		"${db[@]}" \
		-nodefaults -no-user-config -display none -nic none -no-reboot \
		-kernel "$KIMAGE" -initrd "$INITRD" \
		-append "$CMDLINE $id" "${serial[@]}" \
		</dev/null >"$RUN/qemu$i.log" 2>&1 &
	PIDS+=($!)
}

log "run $JOB: $HOSTS host(s), $VCPUS vCPU(s) each, pool ${POOL_MB} MiB, accel $ACCEL, logs in $RUN"
echo "$ACCEL" >"$RUN/accel"
deadline=$((SECONDS + TIMEOUT))
# Hosts start 0.3 s apart so that ivshmem peer ids (= host ids) follow the
# start order; a late host starts after its delay, in order.
pending=()
for ((i = 0; i < HOSTS; i++)); do
	if [[ -n ${LATE[$i]:-} ]]; then
		pending+=("$i")
		continue
	fi
	start_host "$i"
	sleep 0.3
done
t0=$SECONDS
for i in "${pending[@]}"; do
	while ((SECONDS - t0 < ${LATE[$i]})); do sleep 0.2; done
	start_host "$i"
done

# Wait for every host; a QEMU that fails (killed, bad option) stops the run
# at once instead of leaving the others waiting for it until the timeout.
# A host that asks on its console to be killed (morsel.kill_at, or a test
# printing MORSEL-KILL-ME) gets SIGKILL at once: failure tests kill a host
# at a point of their choosing, and the run goes on without it.
rc=0
declare -A done_=() killed=()
while ((${#done_[@]} < ${#PIDS[@]})); do
	for i in "${!PIDS[@]}"; do
		pid=${PIDS[$i]}
		[[ -n ${done_[$i]:-} ]] && continue
		if [[ -z ${killed[$i]:-} ]] && grep -aq 'MORSEL-KILL-ME' "$RUN/host$i.log" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			killed[$i]=1
			done_[$i]=1
			log "host $i: killed with SIGKILL as it asked ($(grep -a -m1 -o 'MORSEL-KILL-ME.*' "$RUN/host$i.log" | tr -d '\r'))"
			echo "host $i" >>"$RUN/killed"
			continue
		fi
		kill -0 "$pid" 2>/dev/null && continue
		done_[$i]=1
		if ! wait "$pid"; then
			log "host $i: QEMU failed: $(tail -1 "$RUN/qemu$i.log")"
			echo "host $i: QEMU exited with an error" >"$RUN/failed"
			exit 1
		fi
	done
	if ((SECONDS >= deadline)); then
		log "run $JOB: timeout after ${TIMEOUT}s, stopping all hosts"
		echo "TIMEOUT after ${TIMEOUT}s" >"$RUN/timeout"
		exit 124
	fi
	sleep 0.2
done
exit $rc
