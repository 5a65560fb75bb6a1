#!/bin/bash
# The main job: boot 2 hosts on one pool, measure the doorbell round trip
# and the polled-mailbox round trip between them, print the table.
set -euo pipefail
. "$(dirname "$0")/config.sh"

HOSTS=${HOSTS:-2}
run=$OUT/runs/demo-$(date +%Y%m%d-%H%M%S)
"$REPO/scripts/hosts.sh" -n "$HOSTS" -t 600 -o "$run" pingbench ||
	die "demo run failed: logs in $run"
table=$(sed -n '/MORSEL-RESULT-BEGIN/,/MORSEL-RESULT-END/p' "$run/host0.log" | sed '1d;$d' | tr -d '\r')
[[ -n $table ]] || die "host 0 printed no result: see $run/host0.log"
echo
echo "$table"
echo "(times are wall-clock under $(tr a-z A-Z <"$run/accel"); under TCG they describe QEMU's I/O path, not CXL hardware)"
echo "$table" >"$OUT/demo-result.txt"
