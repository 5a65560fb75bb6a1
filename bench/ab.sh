#!/bin/bash
# Policy A/B: boot 2 hosts, run bench/policybench.c (the same workloads
# under each ownership policy, in one boot), then print the table, say
# which policy won each workload, and plot the means.
#
#   bench/ab.sh [-o DIR] [hosts.sh options...]   boot and run the job
#   bench/ab.sh -r DIR                            only report an earlier run
#
# Writes DIR/ab.txt (the table) and DIR/ab.png (gnuplot). A workload's
# winner is the policy with the lowest mean time per operation (a grant or
# a deferral moves cost from one operation to another, which the median
# alone would credit); the ratio to the default, measured in the same
# boot, is beside it with its 95% interval (from the two means' intervals,
# rounds as samples), and a runner-up whose interval overlaps the
# winner's is named: the data do not tell them apart. Last, the policy
# interface's own cost: lazy (BPF) against the built-in default, which
# decide the same, from pairs of passes back to back.
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
	grep -E '^(AB|OVERHEAD|#) ' >"$RUN/ab.raw" || true
grep -q '^AB ' "$RUN/ab.raw" || die "host 0 printed no A/B lines: see $RUN/host0.log"

awk '
	/^# platform/ { sub(/^# /, ""); platform = $0; next }
	/^AB / {
		w = $2; p = $3
		if (!(w in seen)) { seen[w] = 1; order[nw++] = w }
		n++; W[n] = w; P[n] = p; ops[n] = $4; med[n] = $5; p99[n] = $6; avg[n] = $7
		rnd[n] = $8; xf[n] = $9; wb[n] = $10; err[n] = $11; ci[n] = $12
		h[w, p] = $12
		if (p == "default") base[w] = $7
		if (!(w in best) || $7 < bestv[w]) {
			if (w in best) { second[w] = best[w]; secondv[w] = bestv[w] }
			best[w] = p; bestv[w] = $7
		} else if (!(w in second) || $7 < secondv[w]) {
			second[w] = p; secondv[w] = $7
		}
		errs += $11
	}
	/^OVERHEAD / { no++; ow[no] = $2; opairs[no] = $3; om[no] = $4; oh[no] = $5 }
	# The ratio a / b of two means with half-widths ha, hb, and its half-width.
	function rhalf(a, ha, b, hb) { return (a > 0 && b > 0) ? a / b * sqrt((ha / a) ^ 2 + (hb / b) ^ 2) : 0 }
	END {
		printf "policy A/B: %s\n", platform
		printf "%-15s %-10s %6s %11s %11s %11s %9s %10s %9s %9s %6s\n", "workload", "policy",
		       "ops", "median(us)", "p99(us)", "mean(us)", "+-95%(us)", "round(ms)", "xfers/op",
		       "wbacks/op", "errors"
		for (i = 1; i <= n; i++)
			printf "%-15s %-10s %6d %11.1f %11.1f %11.1f %9.1f %10.2f %9.3f %9.3f %6d\n", W[i],
			       P[i], ops[i], med[i], p99[i], avg[i], ci[i], rnd[i], xf[i], wb[i], err[i]
		print ""
		print "winner = lowest mean time per operation (a grant or a deferral moves cost"
		print "between operations, so the median alone would credit it); ratio to the default"
		print "with its 95% interval; a runner-up whose interval overlaps that of the winner is named:"
		for (k = 0; k < nw; k++) {
			w = order[k]; b = best[w]; s = second[w]
			r = base[w] > 0 ? bestv[w] / base[w] : 0
			rh = b == "default" ? 0 : rhalf(bestv[w], h[w, b], base[w], h[w, "default"])
			tie = (w in second) && secondv[w] - h[w, s] <= bestv[w] + h[w, b] ? sprintf("; not shown different from %s (%.1f +- %.1f us)", s, secondv[w], h[w, s]) : ""
			printf "winner %-15s %-10s mean %.1f +- %.1f us, %.2fx the default [%.2f, %.2f] (%.1f us)%s\n", w,
			       b, bestv[w], h[w, b], r, r - rh, r + rh, base[w], tie
		}
		print ""
		print "eager vs lazy (the write-back question), mean per op, ratio with its 95% interval:"
		for (k = 0; k < nw; k++) {
			w = order[k]; e = l = 0
			for (i = 1; i <= n; i++) {
				if (W[i] == w && P[i] == "eager") e = avg[i]
				if (W[i] == w && P[i] == "lazy") l = avg[i]
			}
			if (e <= 0 || l <= 0)
				continue
			r = e < l ? l / e : e / l
			rh = e < l ? rhalf(l, h[w, "lazy"], e, h[w, "eager"]) : rhalf(e, h[w, "eager"], l, h[w, "lazy"])
			if (r - rh <= 1)
				v = sprintf("no difference shown (%.2fx [%.2f, %.2f] includes 1)", r, r - rh, r + rh)
			else
				v = sprintf("%s wins by %.2fx [%.2f, %.2f]", (e < l ? "eager" : "lazy"), r, r - rh, r + rh)
			printf "%-15s %s (eager %.1f us, lazy %.1f us)\n", w, v, e, l
		}
		print ""
		print "policy overhead: lazy (a BPF policy) against the built-in default, which decide"
		print "the same; mean of the per-pair ratios of pairs of passes back to back, 95% interval:"
		for (i = 1; i <= no; i++) {
			lo = om[i] - oh[i]; hi = om[i] + oh[i]
			v = hi <= 1.03 ? "at most 3%: shown" : lo > 1.03 ? "more than 3%" : "within 3%: not decided at 95%"
			printf "overhead %-15s %.3f [%.3f, %.3f] over %d pairs: %s\n", ow[i], om[i], lo, hi, opairs[i], v
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
