#!/bin/bash
# Policy A/B: boot 2 hosts, run bench/policybench.c (the same workloads
# under each ownership policy, in one boot), then print the table, say
# which policy won each workload, and plot the medians.
#
#   bench/ab.sh [-o DIR] [hosts.sh options...]   boot and run the job
#   bench/ab.sh -r DIR                            only report an earlier run
#
# Writes DIR/ab.txt (the table) and DIR/ab.png (gnuplot). A workload's
# winner is the policy with the lowest mean time per operation (a grant or
# a deferral moves cost from one operation to another, which the median
# alone would credit); the ratio to the default, measured in the same
# boot, is beside it, and a runner-up within 10% is named.
set -euo pipefail
. "$(dirname "$0")/../scripts/config.sh"

RUN= REPORT_ONLY= ARGS=()
while (($#)); do
	case $1 in
	-o) RUN=$2; shift 2 ;;
	-r) RUN=$2; REPORT_ONLY=1; shift 2 ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
RUN=${RUN:-$OUT/runs/ab-$(date +%Y%m%d-%H%M%S)}
if [[ -z $REPORT_ONLY ]]; then
	"$REPO/scripts/hosts.sh" -n 2 -t 900 -o "$RUN" "${ARGS[@]}" policybench ||
		die "policybench run failed: logs in $RUN"
fi
sed -n '/^MORSEL-AB-BEGIN/,/^MORSEL-AB-END/p' "$RUN/host0.log" | tr -d '\r' |
	grep -E '^(AB|#) ' >"$RUN/ab.raw" || true
grep -q '^AB ' "$RUN/ab.raw" || die "host 0 printed no A/B lines: see $RUN/host0.log"

awk '
	/^# platform/ { sub(/^# /, ""); platform = $0; next }
	/^AB / {
		w = $2; p = $3
		if (!(w in seen)) { seen[w] = 1; order[nw++] = w }
		n++; W[n] = w; P[n] = p; ops[n] = $4; med[n] = $5; p99[n] = $6; avg[n] = $7
		rnd[n] = $8; xf[n] = $9; wb[n] = $10; err[n] = $11
		if (p == "default") base[w] = $7
		if (!(w in best) || $7 < bestv[w]) {
			if (w in best) { second[w] = best[w]; secondv[w] = bestv[w] }
			best[w] = p; bestv[w] = $7
		} else if (!(w in second) || $7 < secondv[w]) {
			second[w] = p; secondv[w] = $7
		}
		errs += $11
	}
	END {
		printf "policy A/B: %s\n", platform
		printf "%-15s %-10s %6s %11s %11s %11s %10s %9s %9s %6s\n", "workload", "policy",
		       "ops", "median(us)", "p99(us)", "mean(us)", "round(ms)", "xfers/op",
		       "wbacks/op", "errors"
		for (i = 1; i <= n; i++)
			printf "%-15s %-10s %6d %11.1f %11.1f %11.1f %10.2f %9.3f %9.3f %6d\n", W[i],
			       P[i], ops[i], med[i], p99[i], avg[i], rnd[i], xf[i], wb[i], err[i]
		print ""
		print "winner = lowest mean time per operation (a grant or a deferral moves cost"
		print "between operations, so the median alone would credit it); ratio to the default:"
		for (k = 0; k < nw; k++) {
			w = order[k]
			tie = secondv[w] <= bestv[w] * 1.1 ? sprintf(" (within 10%% of %s: %.1f us)", second[w], secondv[w]) : ""
			printf "winner %-15s %-10s mean %.1f us, %.2fx the default (%.1f us)%s\n", w,
			       best[w], bestv[w], (base[w] > 0 ? bestv[w] / base[w] : 0), base[w], tie
		}
		print ""
		print "eager vs lazy (the write-back question), mean per op:"
		for (k = 0; k < nw; k++) {
			w = order[k]; e = l = 0
			for (i = 1; i <= n; i++) {
				if (W[i] == w && P[i] == "eager") e = avg[i]
				if (W[i] == w && P[i] == "lazy") l = avg[i]
			}
			r = e < l ? l / e : e / l
			if (r < 1.1)
				v = sprintf("no difference (%.2fx, under 10%%)", r)
			else
				v = sprintf("%s wins by %.2fx", (e < l ? "eager" : "lazy"), r)
			if (e > 0 && l > 0)
				printf "%-15s %s (eager %.1f us, lazy %.1f us)\n", w, v, e, l
		}
		if (errs)
			printf "DATA ERRORS: %d values read were wrong\n", errs
	}' "$RUN/ab.raw" | tee "$RUN/ab.txt"

# One cluster of bars per workload, one bar per policy: mean per op, log scale.
awk '/^AB / { print $2, $3, $7 }' "$RUN/ab.raw" >"$RUN/ab.dat"
policies=$(awk '/^AB / && !s[$3]++ { printf "%s ", $3 }' "$RUN/ab.raw")
workloads=$(awk '/^AB / && !s[$2]++ { printf "%s ", $2 }' "$RUN/ab.raw")
{
	echo "set terminal png size 1000,560"
	echo "set output '$RUN/ab.png'"
	echo "set title 'morsel policy A/B: mean time per operation ($(sed -n 's/^# platform //p' "$RUN/ab.raw"))' noenhanced"
	echo "set style data histogram; set style histogram cluster gap 1"
	echo "set style fill solid border -1; set boxwidth 0.9"
	echo "set logscale y; set yrange [1:*]; set ylabel 'mean per op (us, log)'; set grid ytics"
	echo "set key outside right noenhanced; set xtics noenhanced"
	echo "\$d << EOD"
	for w in $workloads; do
		printf '%s' "$w"
		for p in $policies; do
			awk -v w="$w" -v p="$p" '$1 == w && $2 == p { v = $3 } END { printf " %s", (v > 0 ? v : 0.01) }' "$RUN/ab.dat"
		done
		echo
	done
	echo "EOD"
	i=2
	plot="plot"
	for p in $policies; do
		plot="$plot \$d using $i:xtic(1) title '$p',"
		i=$((i + 1))
	done
	echo "${plot%,}"
} >"$RUN/ab.gp"
gnuplot "$RUN/ab.gp" && log "plot: $RUN/ab.png"
! grep -q '^DATA ERRORS' "$RUN/ab.txt" || die "wrong values read: see $RUN/ab.txt"
# The bench's own verdict on every host: policybench exits 1 on a wrong
# value read, a failed msync, a barrier timeout or a policy that did not
# attach or detach; the guest init prints its status.
for log in "$RUN"/host*.log; do
	grep -aq '^MORSEL-JOB-END rc=0' "$log" ||
		die "${log##*/}: the job did not exit 0 ($(grep -a -m1 '^MORSEL-JOB-END' "$log" | tr -d '\r'))"
done
