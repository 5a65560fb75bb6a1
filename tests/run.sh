#!/bin/bash
# make test: run every test and end with one line "N passed, N failed".
#
#  - KUnit suites (superblock, ring, registry) booted in one host
#  - in-guest TAP tests on 2 and 4 hosts (and 2 vCPUs per host), late join,
#    host failure, bad ioctl arguments, corrupt and incompatible pools
#  - host-side checks: pool left untouched when refused, no process left
#
# Each run's serial logs stay in out/test/<run>/hostN.log.
set -uo pipefail
. "$(dirname "$0")/../scripts/config.sh"

T=$OUT/test
rm -rf "$T"
mkdir -p "$T"
PASS=0
FAIL=0
POOL=/dev/shm/morsel-test-pool-$$
trap 'rm -f "$POOL"' EXIT

ok() {	# ok COND DESCRIPTION
	if [[ $1 == 0 ]]; then
		PASS=$((PASS + 1))
		echo "ok - $2"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $2"
	fi
}

# Count the TAP lines one host printed for its job; check its stream ended
# with a plan that matches.
tally_host() {	# tally_host RUN LOG LABEL
	local log=$1 label=$2 out
	out=$(awk -v label="$label" '
		/^MORSEL-JOB-BEGIN/ { injob = 1; next }
		/^MORSEL-JOB-END/ { injob = 0; next }
		!injob { next }
		{ sub(/\r$/, "") }
		/^ok [0-9]+ / { p++; print "ok - " label ": " substr($0, index($0, $3)); next }
		/^not ok [0-9]+ / { f++; print "not ok - " label ": " substr($0, index($0, $4)); next }
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
		/^# / { print "  " label " " $0 }
		END { printf "TALLY %d %d %d\n", p, f, plan }' "$log")
	grep -v '^TALLY' <<<"$out"
	read -r _ p f plan <<<"$(grep '^TALLY' <<<"$out")"
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	[[ $plan -gt 0 && $plan -eq $((p + f)) ]]
	ok $? "$label: TAP stream complete ($((p + f)) results, plan ${plan:-none})"
}

no_strays() {
	local left
	left=$(pgrep -f 'morsel-[0-9]+-host|ivshmem-server -S' | tr '\n' ' ')
	[[ -z $left ]]
	ok $? "$1: no QEMU or server process left behind${left:+ (found: $left)}"
}

run() {	# run NAME HOSTS JOB [hosts.sh options...]
	local name=$1 hosts=$2 job=$3 h
	shift 3
	echo "# --- $name: $hosts host(s), job $job"
	scripts/hosts.sh -n "$hosts" -t 240 -o "$T/$name" "$@" "$job" >"$T/$name.launcher.log" 2>&1
	local rc=$?
	ok $rc "$name: all hosts ran to the end (launcher rc $rc)"
	for ((h = 0; h < hosts; h++)); do
		tally_host "$T/$name/host$h.log" "$name/host$h"
	done
	no_strays "$name"
}

# A run with mpolicy=NAME: every host attached it before its job, and every
# host that finished its job had the loader detach it again (tests/guest/init).
policy_markers() {	# policy_markers NAME HOSTS POLICY
	local name=$1 hosts=$2 policy=$3 h log first
	first=${policy%%,*}
	for ((h = 0; h < hosts; h++)); do
		log=$T/$name/host$h.log
		grep -aq "^MORSEL-POLICY attached $first state enabled" "$log"
		ok $? "$name/host$h: policy $policy attached before the job"
		if grep -aq '^MORSEL-JOB-END' "$log"; then
			grep -aq '^MORSEL-POLICY loader exit 0 state default' "$log"
			ok $? "$name/host$h: the loader detached it after the job ($(grep -a -m1 '^MORSEL-POLICY loader' "$log" | tr -d '\r'))"
		fi
	done
}

# The per-transfer latency breakdown from perf traces of both hosts.
run_xfertrace() {
	echo "# --- xfertrace-2: 2 host(s), job xfertrace"
	scripts/hosts.sh -n 2 -t 240 -o "$T/xfertrace-2" xfertrace >"$T/xfertrace-2.launcher.log" 2>&1
	ok $? "xfertrace-2: both hosts recorded objbench's transfers with perf"
	no_strays xfertrace-2
	python3 bench/xfer-breakdown.py "$T/xfertrace-2" >"$T/xfertrace-2/breakdown.txt" 2>&1
	ok $? "xfertrace-2: the breakdown script parses both hosts' perf traces"
	grep -q '^[1-9][0-9]* transfers matched' "$T/xfertrace-2/breakdown.txt"
	ok $? "xfertrace-2: transfers matched across hosts ($(grep -m1 'transfers matched' "$T/xfertrace-2/breakdown.txt"))"
	sed 's/^/  # /' "$T/xfertrace-2/breakdown.txt" | head -24
}

# KUnit: count the cases of our suites from the KTAP on the console.
run_kunit() {
	echo "# --- kunit: 1 host"
	scripts/hosts.sh -n 1 -o "$T/kunit" -a "kunit.enable=1 loglevel=7" kunit >"$T/kunit.launcher.log" 2>&1
	ok $? "kunit: host ran to the end"
	local out p f
	# Only the boot log: the guest dumps dmesg again after its job.
	out=$(sed -e 's/\r$//' -e 's/^\[ *[0-9.]*\] //' -e '/^MORSEL-JOB-BEGIN/,$d' \
		"$T/kunit/host0.log" | awk '
		/^    ok [0-9]+ / { p++; print "ok - kunit: " $3; next }
		/^    not ok [0-9]+ / { f++; print "not ok - kunit: " $4; next }
		END { printf "TALLY %d %d\n", p, f }')
	grep -v '^TALLY' <<<"$out"
	read -r _ p f <<<"$(grep '^TALLY' <<<"$out")"
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	[[ $((p + f)) -ge 25 ]]
	ok $? "kunit: all morsel suites ran ($((p + f)) cases)"
	no_strays kunit
}

# A damaged pool is refused by every host, with its reason, and left as it was.
run_refused() {	# run_refused NAME DAMAGE EXPECT
	local name=$1 damage=$2 expect=$3 before after
	"$OUT/poolimg" "$POOL" $damage
	before=$(head -c 2M "$POOL" | sha256sum)
	run "$name" 2 refused -p "$POOL" -k -m 64 -a "mexpect=$expect"
	after=$(head -c 2M "$POOL" | sha256sum)
	[[ $before == "$after" ]]
	ok $? "$name: the refused pool's first 2 MiB are untouched"
}

# The Promela model of the ownership protocol, checked exhaustively by spin
# (3 hosts, 2 pages); and a broken variant that the check must reject.
run_model() {	# run_model NAME EXPECT(pass|fail) SPIN-DEFINES...
	local name=$1 expect=$2 d=$T/model-$1 errors
	shift 2
	mkdir -p "$d"
	echo "# --- $name: spin $*"
	(cd "$d" && spin "$@" -a "$REPO/tests/ownership.pml" >spin.log 2>&1 &&
		gcc -O2 -DSAFETY -DCOLLAPSE -w -o pan pan.c &&
		./pan -m300000 >pan.log 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$d/pan.log")
	if [[ $expect == pass ]]; then
		[[ $errors == 0 ]] && grep -q 'invalid end states	+' "$d/pan.log"
		ok $? "$name: no assertion violation (single writer, no reader beside a writer, no lost update) and no deadlock in $(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$d/pan.log") states"
	else
		[[ -n $errors && $errors -gt 0 ]]
		ok $? "$name: spin finds the lost update ($(grep -m1 -o 'assertion violated.*' "$d/pan.log"))"
	fi
}

cd "$REPO" || exit 1
echo "TAP version 13"
echo "# platform: accelerator $(scripts/kvm-probe.sh), $(nproc) host cores"

run_kunit
run_model model-3h2p pass -DNH=3 -DNP=2 -DOPS=1
run_model model-broken fail -DNH=3 -DNP=2 -DOPS=1 -DBROKEN_NO_WRITEBACK
run basic-2 2 basic
run basic-4 4 basic
run basic-2x2cpu 2 basic -c 2
run basic-2-polled 2 basic -P
run late-3 3 late -l 2:12
run failure-3 3 failure
rm -f "$POOL"
run trace-2 2 trace
# Shared objects, every data-integrity test in both cache modes.
for mode in normal stale; do
	opt=()
	[[ $mode == stale ]] && opt=(-a morsel.stale_cache=1)
	run objects-2-$mode 2 objects "${opt[@]}"
	run objects-4-$mode 4 objects "${opt[@]}"
	run objects-2x2cpu-$mode 2 objects -c 2 "${opt[@]}"
	run objfail-2-$mode 2 objfail "${opt[@]}"
	run objdetect-2-$mode 2 objdetect "${opt[@]}"
done
run objdetect-2-stale-nowriteback 2 objdetect -a "morsel.stale_cache=1 morsel.debug_skip_writeback=1"
# Ownership policies: their own tests, then the data-integrity suite under
# each policy in both cache modes, and under all of them swapped every 100 ms.
run policy-2 2 policy
run park-3 3 park
for mode in normal stale; do
	opt=()
	[[ $mode == stale ]] && opt=(-a morsel.stale_cache=1)
	swap=eager,lazy,seqgrant,selfinval,hold
	for pol in eager lazy seqgrant selfinval hold $swap; do
		label=$pol
		[[ $pol == *,* ]] && label=swap
		extra="mpolicy=$pol"
		[[ $pol == *,* ]] && extra+=" mrotate=100"
		for job in objects objfail; do
			[[ $pol == *,* && $job == objfail ]] && continue
			run $job-2-$mode-$label 2 $job "${opt[@]}" -a "$extra"
			policy_markers $job-2-$mode-$label 2 "$pol"
		done
	done
done
# The A/B bench runs end to end (its numbers are not judged here; its
# read-back checks are): every policy on every workload, table and plot.
echo "# --- ab-2: bench/ab.sh"
bench/ab.sh -o "$T/ab-2" >"$T/ab-2.log" 2>&1
ok $? "ab-2: policy A/B ran every workload under every policy, no wrong value read"
[[ -s $T/ab-2/ab.png ]] && [[ $(grep -c '^winner [a-z]' "$T/ab-2/ab.txt") == 4 ]]
ok $? "ab-2: table with a winner per workload and the plot written"
no_strays ab-2
# The reader-revocation bench runs end to end on 4 hosts (numbers printed,
# not judged).
echo "# --- revokebench-4: 4 host(s), job revokebench"
scripts/hosts.sh -n 4 -t 240 -o "$T/revokebench-4" revokebench >"$T/revokebench-4.launcher.log" 2>&1
ok $? "revokebench-4: the launcher ran every host to the end"
[[ $(cat "$T"/revokebench-4/host*.log | grep -ac '^MORSEL-JOB-END rc=0') == 4 ]]
ok $? "revokebench-4: the bench exited 0 on all 4 hosts"
grep -aq 'serial / split-phase' "$T/revokebench-4/host0.log"
ok $? "revokebench-4: host 0 printed both modes and their ratio"
sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$T/revokebench-4/host0.log" | tr -d '\r' | sed 's/^/  # /'
no_strays revokebench-4
python3 bench/xfer-breakdown.py --selftest >"$T/xfer-selftest.log" 2>&1
ok $? "xfer-breakdown --selftest: stages of a synthetic two-host trace"
run_xfertrace
run objerr-2 2 objerr
run ioctl-2 2 ioctl -p "$POOL" -k -m 64	# also formats $POOL for the next runs
run_refused refused-checksum flip checksum
run_refused refused-version "version 2" incompatible_pool_version
run_refused refused-signature garbage no_morsel_pool_signature

echo "1..$((PASS + FAIL))"
echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
