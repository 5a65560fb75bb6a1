#!/bin/bash
# The main job: boot 2 hosts on one pool; measure the doorbell and the
# polled-mailbox round trips, the ownership transfer and the read-shared
# scan (bench/pingbench.c, bench/objbench.c); then the policy A/B
# (bench/policybench.c: the same workloads under each ownership policy);
# then, on a pool of its own, the mapping table (bench/mapbench.c: memfd,
# the per-page overlay, tables of the host's own and the pool's tables);
# then unmodified SQLite and LMDB on morselfs across hosts, with their
# throughput and the protocol's counts per operation.
# Print the tables, the winners, and write the plot.
set -euo pipefail
. "$(dirname "$0")/config.sh"

HOSTS=${HOSTS:-2}
run=$OUT/runs/demo-$(date +%Y%m%d-%H%M%S)
"$REPO/scripts/hosts.sh" -n "$HOSTS" -t 900 -o "$run" demo ||
	die "demo run failed: logs in $run"
table=$(sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$run/host0.log" |
	sed 's/MORSEL-RESULT-BEGIN//; /MORSEL-RESULT-END/d' | tr -d '\r')
[[ -n $table ]] || die "host 0 printed no result: see $run/host0.log"
echo
echo "$table"
echo "(times are wall-clock under $(tr a-z A-Z <"$run/accel"); under TCG they describe QEMU's I/O path, not CXL hardware)"
echo
"$REPO/bench/ab.sh" -r "$run" >"$run/ab.out" || { cat "$run/ab.out"; die "policy A/B failed: $run"; }
cat "$run/ab.out"
cp "$run/ab.png" "$OUT/demo-ab.png"
# Its own pool: it deletes its objects as it goes, and the scratch
# counters the benches above synchronise with stay theirs.
maprun=$OUT/runs/demo-map-$(date +%Y%m%d-%H%M%S)
rm -f "$OUT/mapbench.pool"
"$REPO/scripts/hosts.sh" -n 2 -t 900 -p "$OUT/mapbench.pool" -o "$maprun" mapbench ||
	die "mapbench run failed: logs in $maprun"
maptable=$(sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$maprun/host0.log" |
	sed 's/MORSEL-RESULT-BEGIN//; /MORSEL-RESULT-END/d' | tr -d '\r')
grep -q "usable: eager, pool's tables" <<<"$maptable" ||
	die "mapbench printed no mapping table: see $maprun/host0.log"
echo
echo "$maptable"
{ echo "$table"; echo; cat "$run/ab.txt"; echo; echo "$maptable"; } >"$OUT/demo-result.txt"
# Unmodified SQLite on morselfs, one database on both hosts: throughput
# and the protocol's counts per transaction (tests/guest/sqlite_test.c).
sqlrun=$OUT/runs/demo-sqlite-$(date +%Y%m%d-%H%M%S)
rm -f "$OUT/sqlite.pool"
"$REPO/scripts/hosts.sh" -n 2 -t 900 -p "$OUT/sqlite.pool" -o "$sqlrun" -a mtransfers=300 sqlite ||
	die "sqlite run failed: logs in $sqlrun"
sqltable=$(cat "$sqlrun"/host*.log | grep -a -o '\(delete\|wal\): host [0-9]*: [0-9.]* transactions/s.*' |
	tr -d '\r' | sort)
[[ $(wc -l <<<"$sqltable") -eq 4 ]] || die "the sqlite run printed no throughput: see $sqlrun"
echo
echo "SQLite (Debian's, unmodified), one database on 2 hosts at once, 300 bank transfers per host,"
echo "rollback journal (delete) and WAL, accelerator $(tr a-z A-Z <"$sqlrun/accel"):"
echo "$sqltable" | sed 's/^/  /'
# Unmodified LMDB: host 0 writes (half its operations), hosts 1 and 2 read.
lmrun=$OUT/runs/demo-lmdb-$(date +%Y%m%d-%H%M%S)
rm -f "$OUT/lmdb.pool"
"$REPO/scripts/hosts.sh" -n 3 -t 900 -p "$OUT/lmdb.pool" -o "$lmrun" -a mops=2000 lmdb ||
	die "lmdb run failed: logs in $lmrun"
lmtable=$(cat "$lmrun"/host*.log | grep -a -o 'lmdb: host [0-9]*: [0-9.]* operations/s.*' | tr -d '\r' | sort)
[[ $(wc -l <<<"$lmtable") -eq 3 ]] || die "the lmdb run printed no throughput: see $lmrun"
echo
echo "LMDB (Debian's, unmodified), one environment on 3 hosts at once, 2000 operations per host:"
echo "$lmtable" | sed 's/^/  /'
{ echo; echo "$sqltable"; echo; echo "$lmtable"; } >>"$OUT/demo-result.txt"
echo "plot: out/demo-ab.png (and $run/ab.png)"
