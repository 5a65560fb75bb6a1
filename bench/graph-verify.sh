#!/bin/bash
# The shared-graph workload's results against the build machine's: every
# GRAPH-RESULT line that host 0 of a graph run printed (one per coherence
# mode) must be, field for field, what out/graph-ref computes for the same
# graph (bit-identical ranks and levels, by fingerprint), and the
# reference's arrays must match igraph's PageRank and BFS
# (bench/graph-check.py).
#
#   bench/graph-verify.sh RUN_DIR     exit 0 when all match; prints why not
set -euo pipefail
. "$(dirname "$0")/../scripts/config.sh"

RUN=${1:?usage: bench/graph-verify.sh RUN_DIR}
[[ -x $OUT/graph-ref ]] || die "$OUT/graph-ref missing: run make all"
lines=$(tr -d '\r' <"$RUN/host0.log" | grep -a '^GRAPH-RESULT ' || true)
[[ $(grep -c . <<<"$lines") == 4 ]] ||
	die "host 0 printed $(grep -c . <<<"$lines") GRAPH-RESULT lines, not one per mode (4): see $RUN/host0.log"
scale=$(awk '{ print $4; exit }' <<<"$lines")
edges=$(tr -d '\r' <"$RUN/host0.log" | sed -n 's/.* edges (\([0-9]*\) << [0-9]* drawn.*/\1/p' | head -1)
[[ $scale =~ ^[0-9]+$ && $edges =~ ^[0-9]+$ ]] || die "no scale or edge factor in $RUN/host0.log"
ref_dir=$(mktemp -d)
trap 'rm -rf "$ref_dir"' EXIT
ref=$("$OUT/graph-ref" -s "$scale" -e "$edges" -o "$ref_dir")
echo "reference (out/graph-ref, this machine): $ref"
bad=0
while read -r _ mode rest; do
	if [[ $rest == "$ref" ]]; then
		echo "$mode: the same ranks and levels as the reference, bit for bit"
	else
		echo "$mode: DIFFERS from the reference: $rest"
		bad=1
	fi
done <<<"$lines"
root=$(sed -n 's/.* bfs root \([0-9]*\) .*/\1/p' <<<"$ref")
/usr/bin/python3 "$REPO/bench/graph-check.py" "$ref_dir" "$root" || bad=1
exit $bad
