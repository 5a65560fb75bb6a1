#!/bin/bash
# make test: run every test and end with one line "N passed, N failed",
# after a line that says what was run (distinct checks, runs, hosts booted,
# skips).
#
#  - the KUnit suites of KUNIT_SUITES, booted in one host, parsed with the
#    tree's tools/testing/kunit/kunit.py
#  - in-guest KTAP tests (kselftest.h) on 2 and 4 hosts (and 2 vCPUs per
#    host), late join, host failure, bad ioctl arguments, corrupt and
#    incompatible pools, shared objects, ownership policies
#  - the benches as smoke runs (their numbers are not judged, their exit
#    status and read-back checks are)
#  - host-side checks: pool left untouched when refused, no process left
#
# Each run's serial logs stay in out/test/<run>/hostN.log; every result
# line of the run is also in out/test/results.txt.
set -uo pipefail
. "$(dirname "$0")/../scripts/config.sh"

# The KUnit suites of mm/morsel (the kunit_suite names in
# kernel-patch/tree/mm/morsel/*_test.c): each must be in the boot log.
KUNIT_SUITES=(morsel_superblock morsel_ring morsel_registry morsel_ownership morsel_policy
	morsel_pooltable morsel_hold morsel_filelock morsel_xfer)

T=$OUT/test
rm -rf "$T"
mkdir -p "$T"
RESULTS=$T/results.txt
PASS=0
FAIL=0
SKIP=0
RUNS=0
POOL=/dev/shm/morsel-test-pool-$$
trap 'rm -f "$POOL" "$POOL".*' EXIT

# Print a result line, and keep it in $RESULTS for the summary.
result() {	# result LINE
	echo "$1"
	echo "$1" >>"$RESULTS"
}

ok() {	# ok COND DESCRIPTION
	if [[ $1 == 0 ]]; then
		PASS=$((PASS + 1))
		result "ok - $2"
	else
		FAIL=$((FAIL + 1))
		result "not ok - $2"
	fi
}

skip() {	# skip DESCRIPTION: neither a pass nor a failure
	SKIP=$((SKIP + 1))
	result "ok - $1 # SKIP"
}

# The start of a run (a boot of hosts, a model check, a host-side tool).
section() {	# section NAME WHAT
	RUNS=$((RUNS + 1))
	echo "# --- $1: $2"
}

# Count the KTAP results one host printed for its job (tests/lib/tap.h on
# kselftest.h: "ok N", "not ok N", "ok N # SKIP"; barriers and set-up
# steps are "# " lines unless they fail); check that its stream ended with
# a plan and kselftest's totals that match what was counted.
tally_host() {	# tally_host LOG LABEL
	local log=$1 label=$2 out p f s plan totals
	out=$(awk -v label="$label" '
		/^MORSEL-JOB-BEGIN/ { injob = 1; next }
		/^MORSEL-JOB-END/ { injob = 0; next }
		!injob { next }
		{ sub(/\r$/, "") }
		/^ok [0-9]+ # SKIP/ { s++; print "ok - " label ": " substr($0, index($0, "# SKIP") + 7) " # SKIP"; next }
		/^ok [0-9]+ / { p++; print "ok - " label ": " substr($0, index($0, $3)); next }
		/^not ok [0-9]+ / { f++; print "not ok - " label ": " substr($0, index($0, $4)); next }
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
		/^# Totals: / { totals = $0; sub(/^# Totals: /, "", totals) }
		/^# |^Bail out!/ { print "  " label " " $0 }
		END { printf "TALLY %d %d %d %s %s\n", p, f, s, plan == "" ? "none" : plan, totals }' "$log")
	grep -v '^TALLY' <<<"$out" | while IFS= read -r line; do
		[[ $line == "ok - "* || $line == "not ok - "* ]] && echo "$line" >>"$RESULTS"
		echo "$line"
	done
	read -r _ p f s plan totals <<<"$(grep '^TALLY' <<<"$out")"
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	SKIP=$((SKIP + s))
	# A host whose part was set-up steps only has a plan of 0: still a plan.
	[[ $plan != none && $plan -eq $((p + f + s)) &&
		$totals == "pass:$p fail:$f xfail:0 xpass:0 skip:$s error:0" ]]
	ok $? "$label: KTAP stream complete ($((p + f + s)) results, plan $plan, totals ${totals:-none})"
}

no_strays() {
	local left
	left=$(pgrep -f 'morsel-[0-9]+-host|ivshmem-server -S' | tr '\n' ' ')
	[[ -z $left ]]
	ok $? "$1: no QEMU or server process left behind${left:+ (found: $left)}"
}

# What the kernel reports when something is wrong: WARN/BUG, oopses, and
# (in the debug kernel) KASAN, lockdep, UBSAN, sleeping in atomic context,
# list corruption; (in the kcsan kernel) data races, "BUG: KCSAN: ...".
REPORT_RE='BUG: |WARNING: |UBSAN: |Oops: |general protection fault|list_(add|del) corruption|DEADLOCK|INFO: possible|INFO: task .* blocked'

# The kernel log every host dumped after its job holds no such report (a
# host that was crashed on purpose dumps none).
no_reports() {	# no_reports NAME
	local name=$1 log found n=0
	found=$(for log in "$T/$name"/host*.log; do
		sed -n '/^MORSEL-DMESG-BEGIN/,/^MORSEL-DMESG-END/p' "$log" |
			grep -a -E "$REPORT_RE" | sed "s|^|${log##*/}: |"
	done)
	[[ -n $found ]] && n=$(wc -l <<<"$found")
	[[ -z $found ]]
	ok $? "$name: no warning, bug or sanitizer report in any host's kernel log ($n)"
	[[ -z $found ]] || head -5 <<<"$found" | sed 's/^/  # /'
}

run() {	# run NAME HOSTS JOB [hosts.sh options...]
	local name=$1 hosts=$2 job=$3 h
	shift 3
	section "$name" "$hosts host(s), job $job"
	scripts/hosts.sh -n "$hosts" -t 240 -o "$T/$name" "$@" "$job" >"$T/$name.launcher.log" 2>&1
	local rc=$?
	ok $rc "$name: all hosts ran to the end (launcher rc $rc)"
	for ((h = 0; h < hosts; h++)); do
		tally_host "$T/$name/host$h.log" "$name/host$h"
	done
	no_reports "$name"
	no_strays "$name"
}

# A run on a pool file of its own (fresh), checked by poolcheck afterwards.
run_own_pool() {	# run_own_pool NAME HOSTS JOB [hosts.sh options...]
	local name=$1 pool=$POOL.$3
	rm -f "$pool"
	run "$@" -p "$pool" -k
	pool_check "$name" "$pool"
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

# Every host's job exited 0: a bench exits 1 on a barrier timeout, a failed
# call or a wrong value read back; the guest init prints its status.
job_rc() {	# job_rc NAME HOSTS WHAT
	local name=$1 hosts=$2 what=$3 n
	n=$(cat "$T/$name"/host*.log 2>/dev/null | grep -ac '^MORSEL-JOB-END rc=0')
	[[ $n == "$hosts" ]]
	ok $? "$name: $what exited 0 on all $hosts hosts ($n did)"
}

# The per-transfer latency breakdown from perf traces of all hosts, joined
# by transfer id.
run_xfertrace() {
	section xfertrace-2 "2 host(s), job xfertrace"
	scripts/hosts.sh -n 2 -t 240 -o "$T/xfertrace-2" xfertrace >"$T/xfertrace-2.launcher.log" 2>&1
	ok $? "xfertrace-2: both hosts recorded objbench's transfers with perf"
	job_rc xfertrace-2 2 "objbench under perf record"
	no_strays xfertrace-2
	python3 bench/xfer-breakdown.py "$T/xfertrace-2" >"$T/xfertrace-2/breakdown.txt" 2>&1
	ok $? "xfertrace-2: the breakdown script parses both hosts' perf traces"
	grep -q '^[1-9][0-9]* transfers matched' "$T/xfertrace-2/breakdown.txt"
	ok $? "xfertrace-2: transfers matched across hosts ($(grep -m1 'transfers matched' "$T/xfertrace-2/breakdown.txt"))"
	xfer_ids_agree xfertrace-2
	sed 's/^/  # /' "$T/xfertrace-2/breakdown.txt" | head -24

	# Three hosts, the sharing patterns: a write revokes two readers at
	# once, and the join must put all three hosts' events in one transfer.
	local b=$T/xfertrace-3/breakdown.txt n
	section xfertrace-3 "3 host(s), job xfertrace, mxfer=patterns"
	scripts/hosts.sh -n 3 -t 400 -o "$T/xfertrace-3" -a mxfer=patterns xfertrace \
		>"$T/xfertrace-3.launcher.log" 2>&1
	ok $? "xfertrace-3: three hosts recorded the sharing patterns with perf"
	job_rc xfertrace-3 3 "patterns -q under perf record"
	no_strays xfertrace-3
	python3 bench/xfer-breakdown.py --timeline "$T/xfertrace-3/timelines.txt" "$T/xfertrace-3" \
		>"$b" 2>&1
	ok $? "xfertrace-3: the breakdown script parses the three hosts' traces"
	xfer_ids_agree xfertrace-3
	n=$(grep -o '3 hosts [0-9]*' "$b" | grep -o '[0-9]*$')
	[[ ${n:-0} -gt 0 ]]
	ok $? "xfertrace-3: transfers whose events came from all three hosts, joined by id (${n:-none})"
	grep -q '^transfer [0-9]*:[0-9]*, hosts 0 1 2 ' "$b"
	ok $? "xfertrace-3: a transfer's timeline across hosts 0, 1 and 2"
	sed -n '/^joined by/,$p' "$b" | sed 's/^/  # /' | head -24
}

# Every recall traced on both sides names the same transfer on both.
xfer_ids_agree() {	# xfer_ids_agree NAME
	local line
	line=$(grep -m1 '^joined by transfer id' "$T/$1/breakdown.txt")
	[[ $line =~ \ [1-9][0-9]*\ recall\ exchanges.*,\ 0\ naming\ different ]]
	ok $? "$1: transfer ids carried to the handling host (${line#joined by transfer id: })"
}

# By hand, scripted: the hosts of scripts/console.sh (job console, each
# console on a socket, a program added with -x), typed into with socat:
# sqlite3 on host 0 creates a table, sqlite3 on host 1 reads it.
console_wait() {	# console_wait FILE PATTERN: up to 120 s
	local i
	for ((i = 0; i < 600; i++)); do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

console_type() {	# console_type DIR HOST LINE
	echo "$3" | socat -t 1 - "UNIX-CONNECT:$(sed -n "$(($2 + 1))p" "$1/consoles")" >/dev/null 2>&1
}

run_console() {
	local d=$T/console-2 add=$T/console-add pid rc
	section console-2 "2 host(s), job console, typed into"
	mkdir -p "$add"
	printf '#!/bin/sh\necho "added program ran: $*"\n' >"$add/hello-morsel"
	chmod +x "$add/hello-morsel"
	scripts/hosts.sh -n 2 -i -t 240 -o "$d" -x "$add" console >"$T/console-2.launcher.log" 2>&1 &
	pid=$!
	console_wait "$d/host0.log" MORSEL-CONSOLE && console_wait "$d/host1.log" MORSEL-CONSOLE
	ok $? "console-2: both hosts give a shell with morselfs mounted"
	console_type "$d" 0 "sqlite3 /mnt/pool/hand.db 'CREATE TABLE t(x); INSERT INTO t VALUES(21);'; echo TYPED-\$((40 + 2))"
	console_wait "$d/host0.log" TYPED-42
	ok $? "console-2: sqlite3 on host 0 creates a database in /mnt/pool"
	console_type "$d" 1 "hello-morsel one; sqlite3 /mnt/pool/hand.db 'SELECT x * 2 FROM t;'; rm /mnt/pool/hand.db; exit"
	console_wait "$d/host1.log" MORSEL-JOB-END
	console_type "$d" 0 "exit"
	wait "$pid"
	rc=$?
	ok $rc "console-2: both hosts powered off when their shells exited (launcher rc $rc)"
	grep -aq '^42' "$d/host1.log"
	ok $? "console-2: sqlite3 on host 1 reads what sqlite3 on host 0 wrote"
	grep -aq 'added program ran: one' "$d/host1.log"
	ok $? "console-2: a program added with -x runs in the guest"
	no_reports console-2
}

# KUnit: the KTAP of the boot log, parsed by the tree's kunit.py (which
# tells a skip from a pass); every suite of KUNIT_SUITES must have run, and
# no other morsel suite may run unlisted.
run_kunit() {
	local d=$T/kunit status name suite n cases=0 extra listed intree
	local -A ran=()
	section kunit "1 host"
	scripts/hosts.sh -n 1 -o "$d" -a "kunit.enable=1 loglevel=7" kunit >"$T/kunit.launcher.log" 2>&1
	ok $? "kunit: host ran to the end"
	# Only the boot log: the guest dumps dmesg again after its job.
	sed -e 's/\r$//' -e 's/^\[ *[0-9.]*\] //' -e '/^MORSEL-JOB-BEGIN/,$d' \
		"$d/host0.log" >"$d/boot.log"
	python3 "$KSRC/tools/testing/kunit/kunit.py" parse "$d/boot.log" \
		--json="$d/results.json" >"$d/parse.log" 2>&1
	if [[ -s $d/results.json ]]; then
		echo "  # kunit.py parse: $(grep -a -m1 -o 'Testing complete.*' "$d/parse.log")"
	else
		ok 1 "kunit: kunit.py parse found no results (see $d/parse.log)"
	fi
	# One line per test case: STATUS SUITE CASE (parameterized cases
	# flattened to SUITE CASE.PARAM).
	while read -r status suite name; do
		[[ -n $status ]] || continue
		ran[$suite]=$((${ran[$suite]:-0} + 1))
		cases=$((cases + 1))
		case $status in
		PASS) ok 0 "kunit: $suite.$name" ;;
		SKIP) skip "kunit: $suite.$name" ;;
		*) ok 1 "kunit: $suite.$name ($status)" ;;
		esac
	done < <(python3 - "$d/results.json" 2>>"$d/parse.log" <<-'EOF'
		import json, sys
		def cases(group, path):
		    for case in group.get("test_cases", []):
		        yield case["status"], path + [case["name"]]
		    for sub in group.get("sub_groups", []):
		        yield from cases(sub, path + [sub["name"]])
		top = json.load(open(sys.argv[1]))
		for status, path in cases(top, []):
		    print(status, path[0], ".".join(path[1:]) or "-")
		EOF
	)
	for suite in "${KUNIT_SUITES[@]}"; do
		n=${ran[$suite]:-0}
		[[ $n -gt 0 ]]
		ok $? "kunit: suite $suite ran ($n cases)"
	done
	extra=
	for suite in "${!ran[@]}"; do
		[[ $suite == morsel_* && " ${KUNIT_SUITES[*]} " != *" $suite "* ]] &&
			extra+=" $suite"
	done
	[[ -z $extra ]]
	ok $? "kunit: no morsel suite ran that KUNIT_SUITES does not list${extra:+ (ran:$extra)}"
	[[ $cases -ge 25 ]]
	ok $? "kunit: all morsel suites ran ($cases cases)"
	# The list above is the tree's: every kunit_suite of mm/morsel.
	listed=$(printf '%s\n' "${KUNIT_SUITES[@]}" | sort | paste -sd' ')
	intree=$(sed -n '/struct kunit_suite/,/}/s/.*\.name = "\(.*\)".*/\1/p' \
		"$REPO"/kernel-patch/tree/mm/morsel/*_test.c | sort | paste -sd' ')
	[[ $listed == "$intree" ]]
	ok $? "kunit: KUNIT_SUITES names every suite of kernel-patch/tree/mm/morsel/*_test.c ($intree)"
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

# Check tests/ownership.pml with spin in DIR: spin with the defines, pan
# built with CFLAGS and run with ARGS; prints pan's error count.
spin_verify() {	# spin_verify DIR CFLAGS ARGS SPIN-DEFINES...
	local d=$1 cflags=$2 args=$3 collapse=-DCOLLAPSE
	shift 3
	mkdir -p "$d"
	[[ $cflags == *-DBITSTATE* ]] && collapse=	# a hash array stores no state
	# shellcheck disable=SC2086 # CFLAGS and ARGS are word lists
	(cd "$d" && spin "$@" -a "$REPO/tests/ownership.pml" >spin.log 2>&1 &&
		gcc -O2 $cflags $collapse -w -o pan pan.c &&
		./pan $args -m300000 >pan.log 2>&1)
	sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$d/pan.log"
}

pan_states() {	# pan_states DIR: the states spin stored
	sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1/pan.log"
}

# The Promela model of the ownership protocol, checked exhaustively by spin
# (3 hosts, 2 pages, one operation per host; 2 hosts, 2 pages, two each,
# with the minimum hold and without; with host failure, -DFAIL, and with
# punch, -DPUNCH); and broken variants (no write-back, linked hosts not
# revoked, a stale reader recall honoured, a punch that revokes no reader)
# that the check must reject.
run_model() {	# run_model NAME EXPECT(pass|fail) SPIN-DEFINES...
	local name=$1 expect=$2 d=$T/model-$1 errors
	shift 2
	section "$name" "spin $*"
	errors=$(spin_verify "$d" "-DSAFETY" "" "$@")
	if [[ $expect == pass ]]; then
		[[ $errors == 0 ]] && grep -q 'invalid end states	+' "$d/pan.log"
		ok $? "$name: no assertion violation (single writer, no reader beside a writer, no lost update) and no deadlock in $(pan_states "$d") states"
	else
		[[ -n $errors && $errors -gt 0 ]]
		ok $? "$name: spin finds the violation ($(grep -m1 -o 'assertion violated.*' "$d/pan.log"))"
	fi
}

# A configuration of the model too large to check exhaustively here, in
# bitstate mode: pan -wBITS, a hash array of 2^BITS bits; partial coverage
# (a state whose bits are all set already is taken as visited), the hash
# factor (bits per state stored) says how partial.
run_model_bitstate() {	# run_model_bitstate NAME BITS SPIN-DEFINES...
	local name=$1 bits=$2 d=$T/model-$1 errors
	shift 2
	section "$name" "spin $*, bitstate pan -w$bits"
	errors=$(spin_verify "$d" "-DSAFETY -DBITSTATE" "-w$bits" "$@")
	[[ $errors == 0 ]] && grep -q 'invalid end states	+' "$d/pan.log"
	ok $? "$name: bitstate, partial coverage (hash factor $(sed -n 's/^hash factor: \([0-9.]*\).*/\1/p' "$d/pan.log")): no assertion violation and no deadlock in $(pan_states "$d") states"
}

# Liveness of the model (tests/ownership.pml, -DLIVENESS): spin looks for
# non-progress cycles under weak fairness. Without a minimum hold
# (-DNO_HOLD, min_hold_us=0) it must find the writer/reader cycle (the check
# can fail); with the hold, the model's default as the kernel's, none.
run_liveness() {	# run_liveness NAME EXPECT(cycle|none) SPIN-DEFINES...
	local name=$1 expect=$2 d=$T/model-$1 errors
	shift 2
	section "$name" "spin -DLIVENESS $*, pan -l -f"
	errors=$(spin_verify "$d" "-DNP -DNFAIR=3" "-l -f" -DLIVENESS "$@")
	if [[ $expect == none ]]; then
		[[ $errors == 0 ]] && grep -q 'non-progress cycles 	+ (fairness enabled)' "$d/pan.log"
		ok $? "$name: no non-progress cycle under weak fairness in $(pan_states "$d") states"
	else
		[[ -n $errors && $errors -gt 0 ]] && grep -q 'non-progress cycle' "$d/pan.log"
		ok $? "$name: spin finds the non-progress cycle of a protocol without a minimum hold"
	fi
}

# A bench as a smoke run: every host ran to the end, host 0 printed its
# table (shown), no process left.
run_bench() {	# run_bench NAME HOSTS JOB TIMEOUT WHAT PATTERN SAID
	local name=$1 hosts=$2 job=$3 t=$4 what=$5 pattern=$6 said=$7
	section "$name" "$hosts host(s), job $job"
	scripts/hosts.sh -n "$hosts" -t "$t" -o "$T/$name" "$job" >"$T/$name.launcher.log" 2>&1
	ok $? "$name: the launcher ran every host to the end"
	job_rc "$name" "$hosts" "$what"
	grep -aq "$pattern" "$T/$name/host0.log"
	ok $? "$name: $said"
	sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$T/$name/host0.log" | tr -d '\r' | sed 's/^/  # /'
	no_strays "$name"
}

# The pool a run left behind, checked from the host side (out/poolcheck):
# frames referenced once or free, no bit or lock of a host that is gone.
# After the first such check, the checker itself: a leaked frame is found,
# repaired, and the pool is consistent again.
POOLCHECK_SELFTEST=1
pool_check() {	# pool_check NAME FILE
	local name=$1 file=$2
	"$OUT/poolcheck" "$file" >"$T/$name.poolcheck" 2>&1
	ok $? "$name: the pool is consistent afterwards ($(tail -1 "$T/$name.poolcheck"))"
	sed 's/^/  # /' "$T/$name.poolcheck"
	((POOLCHECK_SELFTEST)) || return 0
	POOLCHECK_SELFTEST=0
	"$OUT/poolcheck" "$file" leak >/dev/null &&
		! "$OUT/poolcheck" "$file" >"$T/$name.poolcheck-leak" 2>&1 &&
		grep -q '1 frames in use by no page (leaked)' "$T/$name.poolcheck-leak"
	ok $? "poolcheck: finds a frame leaked in $name's pool"
	"$OUT/poolcheck" "$file" leaktable >/dev/null &&
		! "$OUT/poolcheck" "$file" >"$T/$name.poolcheck-leaktable" 2>&1 &&
		grep -q '1 page tables in use by no object (leaked)' "$T/$name.poolcheck-leaktable"
	ok $? "poolcheck: finds a page table leaked in $name's pool"
	"$OUT/poolcheck" "$file" repair >/dev/null
	"$OUT/poolcheck" "$file" >/dev/null
	ok $? "poolcheck: repair frees both and the pool is consistent again"
}

# Hosts killed with SIGKILL at kill points (job objkill): the launcher
# killed the three that asked; the survivor broke the dead holder's
# directory lock; the pool's only damage is the frame host 2 had taken,
# which poolcheck finds and repairs.
check_objkill() {	# check_objkill NAME FILE
	local name=$1 file=$2 killed
	killed=$(sort "$T/$name/killed" 2>/dev/null | tr '\n' ' ')
	[[ $killed == "host 1 host 2 host 3 " ]]
	ok $? "$name: the launcher killed hosts 1, 2 and 3 at their kill points (${killed:-none})"
	grep -aq 'morsel: broke the directory lock of host 1' "$T/$name/host0.log"
	ok $? "$name: host 0 broke the directory lock host 1 died holding"
	"$OUT/poolcheck" "$file" >"$T/$name.poolcheck" 2>&1
	grep -q '^poolcheck: 1 frames in use by no page (leaked)$' "$T/$name.poolcheck" &&
		grep -q '^poolcheck: 1 inconsistencies' "$T/$name.poolcheck"
	ok $? "$name: the one loss is the frame host 2 had taken ($(grep -m1 'leaked\|inconsistencies\|consistent' "$T/$name.poolcheck"))"
	"$OUT/poolcheck" "$file" repair >/dev/null
	"$OUT/poolcheck" "$file" >"$T/$name.poolcheck-repaired" 2>&1
	ok $? "$name: poolcheck repair frees it and the pool is consistent ($(tail -1 "$T/$name.poolcheck-repaired"))"
}

# A checkout (or an output directory) deep in the file system: the doorbell
# socket must not live under it, since a UNIX socket path has at most 107
# bytes (a 60-character checkout once broke every run).
run_deep() {
	local deep rc
	deep=$T/deep/$(printf 'd%.0s' {1..120})
	section deep-1 "1 host, job probe, output directory ${#deep} bytes deep"
	scripts/hosts.sh -n 1 -t 60 -o "$deep" probe >"$T/deep-1.launcher.log" 2>&1
	ok $? "deep-1: hosts boot with an output directory ${#deep} bytes deep"
	grep -aq MORSEL-PROBE-OK "$deep/host0.log"
	ok $? "deep-1: the host ran its job"
	"$OUT/ivshmem-server" -S "$deep/x.sock" -M "/dev/shm/morsel-test-deep-$$" \
		2>"$T/deep-1.server.log"
	rc=$?
	rm -f "/dev/shm/morsel-test-deep-$$"
	[[ $rc == 2 ]] && grep -q 'at most 107' "$T/deep-1.server.log"
	ok $? "deep-1: the ivshmem server refuses a socket path over 107 bytes and says why (rc $rc)"
	no_strays deep-1
}

# A checkout deep in the file system, as a user's may be (a 60-character
# one once broke every run): the working tree's files copied 100+
# characters deep, built there with make (the kernel from the shared
# cache), and two hosts booted from it (job basic).
run_deep_checkout() {
	local dir=$T/checkout/$(printf 'c%.0s' {1..100})/morsels log=$T/deep-checkout.log h
	section deep-checkout "a checkout ${#dir} characters deep: make, then 2 hosts, job basic"
	rm -rf "$T/checkout"
	mkdir -p "$dir"
	git -C "$REPO" ls-files -z | (cd "$REPO" && tar --null -T - -cf -) | tar -xf - -C "$dir"
	(cd "$dir" && make all && scripts/hosts.sh -n 2 -o "$dir/out/runs/basic" basic) >"$log" 2>&1
	ok $? "deep-checkout: make and a 2-host run from a checkout ${#dir} characters deep"
	for ((h = 0; h < 2; h++)); do
		tally_host "$dir/out/runs/basic/host$h.log" "deep-checkout/host$h"
	done
	no_strays deep-checkout
	rm -rf "$T/checkout"
}

cd "$REPO" || exit 1
echo "TAP version 13"
echo "# platform: accelerator $(scripts/kvm-probe.sh), $(nproc) host cores"

# Everything but the sanitizer kernel's full run (make test).
main_suite() {
	run_kunit
	run_model model-3h2p pass -DNH=3 -DNP=2 -DOPS=1
	run_model model-broken fail -DNH=3 -DNP=2 -DOPS=1 -DBROKEN_NO_WRITEBACK
	run_model model-broken-linked fail -DNH=3 -DNP=2 -DOPS=1 -DBROKEN_NO_LINKED
	run_model model-2h2p2ops pass -DNH=2 -DNP=2 -DOPS=2
	run_model model-2h2p2ops-nohold pass -DNH=2 -DNP=2 -DOPS=2 -DNO_HOLD
	# Host failure: exhaustive with 2 hosts (7.8M states) and with 3 hosts
	# of one operation (16.5M); with 3 where the stale recall can happen
	# (70M states), bitstate only (hash factor 15, 99.7% of the states).
	run_model model-fail-2h2p2ops pass -DFAIL -DNH=2 -DNP=2 -DOPS=2
	run_model model-fail-broken-stale-recall fail -DFAIL -DNH=2 -DNP=1 -DOPS=2 -DBROKEN_STALE_RECALL
	run_model model-fail-3h1p pass -DFAIL -DNH=3 -DNP=1 -DOPS=1
	run_model_bitstate model-fail-3h1p-bitstate 30 -DFAIL -DNH=3 -DNP=1 -DOPS=2 -DVOPS=1 -DLOPS=1
	run_model model-punch-2h2p2ops pass -DPUNCH -DNH=2 -DNP=2 -DOPS=2
	run_model model-punch-broken fail -DPUNCH -DNH=2 -DNP=1 -DOPS=2 -DBROKEN_PUNCH
	run_liveness liveness-nohold cycle -DNH=2 -DNP=2 -DOPS=1 -DNO_HOLD
	run_liveness liveness-hold none -DNH=2 -DNP=2 -DOPS=1
	run_liveness liveness-hold-2ops none -DNH=2 -DNP=2 -DOPS=2
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
		rm -f "$POOL.objfail"
		run objfail-2-$mode 2 objfail "${opt[@]}" -p "$POOL.objfail" -k
		pool_check objfail-2-$mode "$POOL.objfail"
		grep -aq 'morsel: swept up after host 1: [1-9][0-9]* objects' "$T/objfail-2-$mode/host0.log"
		ok $? "objfail-2-$mode: the survivor swept up after the dead host and said what it had held ($(grep -a -m1 -o 'swept up after host 1: .*' "$T/objfail-2-$mode/host0.log" | tr -d '\r'))"
		rm -f "$POOL.objkill"
		run objkill-4-$mode 4 objkill "${opt[@]}" -p "$POOL.objkill" -k
		check_objkill objkill-4-$mode "$POOL.objkill"
		run objdetect-2-$mode 2 objdetect "${opt[@]}"
		run subtree-2-$mode 2 subtree "${opt[@]}"
		# morselfs: the objects as files (tests/guest/fs_test.c); the
		# fsx-style checker, 10^4 random operations on one host, then 10^4
		# with the 2 hosts taking turns (fsx.c); record locks across hosts,
		# at the end host 1 dies holding one and the survivor's F_SETLKW
		# gets it (lock_test.c); unmodified SQLite, one database on 2 hosts
		# in rollback and WAL mode; unmodified LMDB, host 0 writing while
		# hosts 1 and 2 read.
		run_own_pool fs-2-$mode 2 fs -m 64 "${opt[@]}"
		run_own_pool fsx-2-$mode 2 fsx "${opt[@]}"
		run_own_pool locks-2-$mode 2 locks "${opt[@]}"
		grep -aq 'swept up after host 1: .* [1-9][0-9]* record locks released' "$T/locks-2-$mode/host0.log"
		ok $? "locks-2-$mode: the survivor released the dead host's record locks and said so ($(grep -a -m1 -o '[0-9]* record locks released' "$T/locks-2-$mode/host0.log" | tr -d '\r'))"
		run_own_pool sqlite-2-$mode 2 sqlite "${opt[@]}"
		run_own_pool lmdb-3-$mode 3 lmdb "${opt[@]}"
		rm -f "$POOL.pooltable"
		run pooltable-2x2cpu-$mode 2 pooltable -c 2 -p "$POOL.pooltable" "${opt[@]}"
		pool_check pooltable-2x2cpu-$mode "$POOL.pooltable"
		grep -q " $((4 * 512 + 3)) pages shown in the pool's hardware tables" "$T/pooltable-2x2cpu-$mode.poolcheck"
		ok $? "pooltable-2x2cpu-$mode: every page of the object is shown in the pool's tables at the end"
		# The fuzzer (tests/guest/fuzz.c), then the pool it leaves; once
		# with a host crashing in the middle of it.
		rm -f "$POOL.fuzz"
		run fuzz-2-$mode 2 fuzz "${opt[@]}" -p "$POOL.fuzz" -k
		pool_check fuzz-2-$mode "$POOL.fuzz"
		rm -f "$POOL.fuzz"
		run fuzz-3crash-$mode 3 fuzz "${opt[@]}" -a mfuzzcrash=2 -p "$POOL.fuzz" -k
		pool_check fuzz-3crash-$mode "$POOL.fuzz"
		rm -f "$POOL.fuzz"
		# The DSM baselines (page-copy, twin-and-diff): the objects job's
		# data checks on objects of those modes.
		run objects-2-pagecopy-$mode 2 objects -a mcoherence=pagecopy "${opt[@]}"
		run objects-2-twindiff-$mode 2 objects -a mcoherence=twindiff "${opt[@]}"
	done
	# Copies are real in those modes: a missing write-back loses data even
	# where the hardware is coherent.
	run objdetect-2-twindiff-nowriteback 2 objdetect -a "mcoherence=twindiff morsel.debug_skip_writeback=1"
	run objdetect-2-pagecopy-nowriteback 2 objdetect -a "mcoherence=pagecopy morsel.debug_skip_writeback=1"
	run objdetect-2-stale-nowriteback 2 objdetect -a "morsel.stale_cache=1 morsel.debug_skip_writeback=1"
	# Objects larger than a fixed table slot ever allowed: 1 GiB on a 3 GiB
	# pool (in stale-cache mode 160 MiB: each guest keeps a shadow of every
	# page in its 512 MiB), then the pool they leave.
	for mode in normal stale; do
		opt=(-a mbigmb=1024)
		[[ $mode == stale ]] && opt=(-a "morsel.stale_cache=1 mbigmb=160")
		rm -f "$POOL.big"
		run bigobject-2-$mode 2 bigobject "${opt[@]}" -m 3072 -t 900 -p "$POOL.big" -k
		pool_check bigobject-2-$mode "$POOL.big"
		rm -f "$POOL.big"
	done
	# The per-page mappings (kept for comparison) keep their data integrity.
	run objects-2-mapfault 2 objects -a morsel.map=fault
	run objects-2-stale-mapfault 2 objects -a "morsel.map=fault morsel.stale_cache=1"
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
	section ab-2 "2 host(s), bench/ab.sh"
	bench/ab.sh -o "$T/ab-2" >"$T/ab-2.log" 2>&1
	ok $? "ab-2: policy A/B ran every workload under every policy, no wrong value read"
	job_rc ab-2 2 policybench
	[[ -s $T/ab-2/ab.png ]] && [[ $(grep -c '^winner [a-z].*x the default \[' "$T/ab-2/ab.txt") == 5 ]]
	ok $? "ab-2: table with a winner per workload, its interval, and the plot written"
	[[ $(grep -c '^overhead [a-z]* *[0-9.]* \[[0-9.]*, [0-9.]*\] over 8 pairs' "$T/ab-2/ab.txt") == 5 ]]
	ok $? "ab-2: the policy interface's overhead per workload, with its interval"
	sed -n '/^policy overhead/,$p' "$T/ab-2/ab.txt" | sed 's/^/  # /'
	no_strays ab-2
	# The reader-revocation bench on 4 hosts and the mapping bench on 2 run
	# end to end (numbers printed, not judged; every reader checks what it
	# read, every mapping's pages are read back).
	run_bench revokebench-4 4 revokebench 240 "the bench (every reader checks what it read)" \
		'serial / split-phase' "host 0 printed both modes and their ratio"
	run_bench mapbench-2 2 mapbench 600 "the bench (every mapping read back)" \
		'usable: memfd MAP_POPULATE / morsel eager' "host 0 printed the mapping table and its ratios"
	# The write-density sweep (bench/density.c): morsels against the
	# page-copy and twin-and-diff modes of the same kernel, in stale-cache
	# mode, where a morsel write-back's dirty lines are measured. Every
	# byte host 1 reads is checked, and at 64 bytes per page morsels must
	# move at least 3x fewer bytes than page-copy (counts, not times).
	section density-2 "2 host(s), job density, stale-cache mode"
	scripts/hosts.sh -n 2 -t 600 -o "$T/density-2" -a morsel.stale_cache=1 density \
		>"$T/density-2.launcher.log" 2>&1
	ok $? "density-2: the launcher ran every host to the end"
	job_rc density-2 2 "the sweep (every byte read checked; at k = 64 morsels move >= 3x fewer bytes than page-copy)"
	sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$T/density-2/host0.log" | tr -d '\r' | sed 's/^/  # /'
	no_strays density-2
	# The sharing-pattern matrix (bench/patterns.c), quick: every workload
	# on every mode on 2 hosts at once, every value read checked.
	section patterns-2 "2 host(s), job patterns (quick), stale-cache mode"
	scripts/hosts.sh -n 2 -t 600 -o "$T/patterns-2" -a "morsel.stale_cache=1 mquick=1" patterns \
		>"$T/patterns-2.launcher.log" 2>&1
	ok $? "patterns-2: the launcher ran every host to the end"
	job_rc patterns-2 2 "the matrix (read-mostly, producer/consumer, false sharing, a locked counter; every value checked)"
	sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$T/patterns-2/host0.log" | tr -d '\r' | sed 's/^/  # /'
	no_strays patterns-2
	# The shared-graph workload (bench/graph.c), quick (R-MAT scale 14):
	# PageRank and BFS on 2 hosts at once, every mode, in both cache modes.
	# Every mode's ranks and levels must be those of the build machine's
	# reference bit for bit, and the reference's igraph's.
	for mode in normal stale; do
		section "graph-2-$mode" "2 host(s), job graph (quick), $mode mode"
		scripts/hosts.sh -n 2 -t 600 -o "$T/graph-2-$mode" \
			-a "mquick=1$([[ $mode == stale ]] && echo ' morsel.stale_cache=1')" graph \
			>"$T/graph-2-$mode.launcher.log" 2>&1
		ok $? "graph-2-$mode: the launcher ran every host to the end"
		job_rc "graph-2-$mode" 2 "PageRank and BFS (every mode's results the same bit for bit)"
		bench/graph-verify.sh "$T/graph-2-$mode" >"$T/graph-2-$mode.verify" 2>&1
		ok $? "graph-2-$mode: every mode's results are the reference's, and the reference's igraph's"
		sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$T/graph-2-$mode/host0.log" |
			tr -d '\r' | sed 's/^/  # /'
		sed 's/^/  # /' "$T/graph-2-$mode.verify"
		no_strays "graph-2-$mode"
	done
	section xfer-selftest "bench/xfer-breakdown.py --selftest"
	python3 bench/xfer-breakdown.py --selftest >"$T/xfer-selftest.log" 2>&1
	ok $? "xfer-breakdown --selftest: stages and joined timelines of a synthetic three-host trace"
	run_xfertrace
	run_console
	run objerr-2 2 objerr
	run_deep
	run_deep_checkout
	run ioctl-2 2 ioctl -p "$POOL" -k -m 64	# also formats $POOL for the next runs
	run_refused refused-checksum flip checksum
	run_refused refused-version "version 99" incompatible_pool_version
	run_refused refused-signature garbage no_morsel_pool_signature
}

# The sanitizer kernel (kernel-patch/config-debug: KASAN, lockdep, UBSAN,
# sleeping in atomic context, list debugging), out/bzImage-debug, and the
# data-race kernel (config-kcsan), out/bzImage-kcsan: the same jobs, and no
# report in any kernel log (run() checks every run for one).
# make test runs a subset; make test-debug the object, policy and failure
# suites in both cache modes.
debug_suite() {	# debug_suite subset|full
	local mode opt
	if [[ $1 == subset ]]; then
		run objects-2-stale-debug 2 objects -K debug -t 900 -a morsel.stale_cache=1
		run objfail-2-debug 2 objfail -K debug -t 900
		run fuzz-3crash-debug 3 fuzz -K debug -t 900 -a mfuzzcrash=2
		run subtree-2-debug 2 subtree -K debug -t 900
		run objects-2x2cpu-stale-kcsan 2 objects -K kcsan -c 2 -t 900 -a morsel.stale_cache=1
		run fuzz-2x2cpu-kcsan 2 fuzz -K kcsan -c 2 -t 900
		# Record locks under lockdep and KASAN, and SQLite under KCSAN.
		run_own_pool locks-2-stale-debug 2 locks -K debug -t 900 -a morsel.stale_cache=1
		run_own_pool sqlite-2x2cpu-kcsan 2 sqlite -K kcsan -c 2 -t 900
		return
	fi
	for mode in normal stale; do
		opt=()
		[[ $mode == stale ]] && opt=(-a morsel.stale_cache=1)
		run objects-2-$mode-debug 2 objects -K debug -t 900 "${opt[@]}"
		run objects-4-$mode-debug 4 objects -K debug -t 900 "${opt[@]}"
		run objfail-2-$mode-debug 2 objfail -K debug -t 900 "${opt[@]}"
		run fuzz-2-$mode-debug 2 fuzz -K debug -t 900 "${opt[@]}" \
			-a "mfuzzops=50000 mfuzzsecs=600"
		run fuzz-3crash-$mode-debug 3 fuzz -K debug -t 900 "${opt[@]}" -a mfuzzcrash=2
		run subtree-2-$mode-debug 2 subtree -K debug -t 900 "${opt[@]}"
		run objects-2-$mode-swap-debug 2 objects -K debug -t 900 "${opt[@]}" \
			-a "mpolicy=eager,lazy,seqgrant,selfinval,hold mrotate=100"
		# KCSAN sees races between the CPUs of one host: 2 vCPUs each.
		run objects-2x2cpu-$mode-kcsan 2 objects -K kcsan -c 2 -t 900 "${opt[@]}"
		run fuzz-2x2cpu-$mode-kcsan 2 fuzz -K kcsan -c 2 -t 900 "${opt[@]}"
		run subtree-2x2cpu-$mode-kcsan 2 subtree -K kcsan -c 2 -t 900 "${opt[@]}"
		run_own_pool fs-2-$mode-debug 2 fs -K debug -t 900 -m 64 "${opt[@]}"
		run_own_pool fsx-2-$mode-debug 2 fsx -K debug -t 900 "${opt[@]}"
		run_own_pool locks-2-$mode-debug 2 locks -K debug -t 900 "${opt[@]}"
		run_own_pool sqlite-2-$mode-debug 2 sqlite -K debug -t 900 "${opt[@]}"
		run_own_pool lmdb-3-$mode-debug 3 lmdb -K debug -t 900 "${opt[@]}"
		run_own_pool sqlite-2x2cpu-$mode-kcsan 2 sqlite -K kcsan -c 2 -t 900 "${opt[@]}"
	done
	run policy-2x2cpu-kcsan 2 policy -K kcsan -c 2 -t 900
	run bigobject-2-debug 2 bigobject -K debug -t 900 -m 1024 -a mbigmb=256
	run policy-2-debug 2 policy -K debug -t 900
	run park-3-debug 3 park -K debug -t 900
	run failure-3-debug 3 failure -K debug -t 900
	run objerr-2-debug 2 objerr -K debug -t 900
}

if [[ ${1:-} == --debug ]]; then
	debug_suite full
else
	main_suite
	debug_suite subset
fi

# What was run: distinct checks are the result descriptions without the
# run label, the host and the numbers measured (a check run on 4 hosts, in
# 20 runs, counts once); skips are neither passes nor failures.
distinct=$(grep -v ' # SKIP$' "$RESULTS" | sed -E -e 's/^(not )?ok - //' -e 's/^[^:]*: //' \
	-e 's/^host[0-9]+( stale)?: //' -e 's/[0-9]+/#/g' | sort -u | wc -l)
booted=$(find "$T" -name 'host*.log' | wc -l)
echo "1..$((PASS + FAIL + SKIP))"
echo "# $distinct distinct checks over $RUNS runs, $booted hosts booted, $SKIP skipped"
echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
