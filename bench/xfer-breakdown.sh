#!/bin/bash
# Per-transfer latency breakdown: boot hosts on a pool with the guest job
# xfertrace (bench/guest/xfertrace.sh: perf record -e 'morsel:*' around
# objbench on every host), then join all hosts' traces by transfer id and
# split each ownership transfer into its stages (bench/xfer-breakdown.py).
#
#   bench/xfer-breakdown.sh [-o DIR] [-k CSV] [-l FILE] [hosts.sh options...]
#     -o DIR   run directory (default out/runs/xfertrace-TIMESTAMP)
#     -k CSV   also write one row per transfer (stages in ns) to CSV
#     -l FILE  also write every joined transfer's timeline to FILE
#   Other options go to scripts/hosts.sh (-c 2, -P, -N, -a ...); -n is 2
#   and -t 300 unless given: objbench's transfers are between hosts 0 and 1.
#   -n 3 -a mxfer=patterns traces the sharing patterns on three hosts.
#
# The serial logs stay in DIR; the python script can be rerun on them.
set -euo pipefail
. "$(dirname "$0")/../scripts/config.sh"

RUN= CSV= TL= ARGS=() HOSTS=2 TIMEOUT=300
while (($#)); do
	case $1 in
	-o) RUN=$2; shift 2 ;;
	-k) CSV=$2; shift 2 ;;
	-l) TL=$2; shift 2 ;;
	-n) HOSTS=$2; shift 2 ;;
	-t) TIMEOUT=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set/p' "$0" | sed '$d'; exit 0 ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
((HOSTS >= 2)) || die "a transfer needs 2 hosts, not $HOSTS"
RUN=${RUN:-$OUT/runs/xfertrace-$(date +%Y%m%d-%H%M%S)-$$}

rc=0
"$REPO/scripts/hosts.sh" -n "$HOSTS" -t "$TIMEOUT" -o "$RUN" "${ARGS[@]}" xfertrace || rc=$?
if grep -qs "unknown job 'xfertrace'" "$RUN"/host*.log; then
	die "the guest init has no job 'xfertrace' (tests/guest/init, scripts/initramfs.sh; then rebuild the initramfs)"
fi
# A failed or timed-out run may still have traced enough: parse what is
# there, and fail with the run's status afterwards.
((rc == 0)) || log "hosts.sh exited with $rc; parsing what the logs hold"
for log in "$RUN"/host*.log; do
	grep -q '^MORSEL-JOB-END rc=0' "$log" ||
		log "$(basename "$log"): the job did not end with rc=0: $(grep -a '^MORSEL-JOB-END' "$log" || echo 'no MORSEL-JOB-END')"
done
python3 "$REPO/bench/xfer-breakdown.py" ${CSV:+--csv "$CSV"} ${TL:+--timeline "$TL"} "$RUN" || rc=$?
exit "$rc"
