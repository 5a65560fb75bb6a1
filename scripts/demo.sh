#!/bin/bash
# The main job: boot 2 hosts on one pool; measure the doorbell and the
# polled-mailbox round trips, the ownership transfer and the read-shared
# scan (bench/pingbench.c, bench/objbench.c); then the policy A/B
# (bench/policybench.c: the same workloads under each ownership policy).
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
{ echo "$table"; echo; cat "$run/ab.txt"; } >"$OUT/demo-result.txt"
echo "plot: out/demo-ab.png (and $run/ab.png)"
