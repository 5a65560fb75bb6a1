#!/bin/bash
# make eval: regenerate the evaluation's tables and plots into out/eval/,
# each with the platform it ran on (accelerator, hosts, vCPUs, NUMA).
#
#   scripts/eval.sh [-H "2 4 8"] [-N]
#
#   -H HOSTS  host counts of the sharing-pattern matrix and the graph
#             (default "2 4 8")
#   -N        bind the pool and the hosts to different NUMA nodes, as the
#             thesis set-up does (make eval NUMA=1); on a machine with one
#             node the runs say so and go on unbound
#
# What it runs, every one with its correctness checks (a wrong value read
# fails the run, and eval.sh with it):
#   density    the write-density sweep (bench/density.c), 2 hosts
#   patterns   the sharing-pattern matrix (bench/patterns.c), per host count
#   graph      PageRank and BFS over an R-MAT graph of 1.2M edges
#              (bench/graph.c), per host count, checked against the build
#              machine's run of the same code and igraph (graph-verify.sh)
#   sqlite     unmodified SQLite (2 hosts) and LMDB (3 hosts) on morselfs
#   lmdb       files of each mode (mount -o coherence=)
#   ab         the policy A/B (bench/ab.sh)
# Counts are what travels: TCG times are stated as such beside them.
set -euo pipefail
. "$(dirname "$0")/config.sh"

HOST_COUNTS="2 4 8" NUMA_OPT=()
while (($#)); do
	case $1 in
	-H) HOST_COUNTS=$2; shift 2 ;;
	-N) NUMA_OPT=(-N); shift ;;
	*) die "usage: scripts/eval.sh [-H \"2 4 8\"] [-N]" ;;
	esac
done
E=$OUT/eval
rm -rf "$E"
mkdir -p "$E"
t0=$(date +%s)

# The result block host 0 printed, without the console's carriage returns.
result() {	# result RUN NAME
	sed -n "/MORSEL-RESULT-BEGIN $2/,/MORSEL-RESULT-END $2/p" "$1/host0.log" | tr -d '\r' |
		grep -v '^MORSEL-RESULT'
}

# Boot HOSTS hosts on JOB (stale-cache mode and ARGS) into $E/NAME-run, and
# keep host 0's result block as $E/NAME.txt.
run_job() {	# run_job NAME HOSTS ARGS JOB
	"$REPO/scripts/hosts.sh" -n "$2" -t 1800 -o "$E/$1-run" "${NUMA_OPT[@]}" \
		-a "morsel.stale_cache=1 $3" "$4" >"$E/$1-run.log" 2>&1 ||
		die "$1 failed: see $E/$1-run"
	result "$E/$1-run" "$4" >"$E/$1.txt"
}

# --- write density: bytes moved per page against k, per mode
log "eval: write density (2 hosts, stale-cache mode)"
run_job density 2 "" density
awk '$1 ~ /^(morsels|page-copy|twin-diff|plain)$/ && $2 ~ /^[0-9]+$/ { print $1, $2, $10 }' \
	"$E/density.txt" >"$E/density.dat"
[[ $(wc -l <"$E/density.dat") == 16 ]] || die "density: no table in $E/density.txt"
{
	echo "set terminal png size 900,520"
	echo "set output '$E/density.png'"
	echo "set title 'write density: bytes moved per page ($(sed -n 's/^platform: //p' "$E/density.txt" | sed 's/ (.*//; s/;.*//'))' noenhanced"
	echo "set logscale xy; set xlabel 'bytes written per page (k)'; set ylabel 'bytes moved per page'"
	echo "set xtics (8, 64, 512, 4096); set grid; set key top left"
	echo "plot for [m in 'morsels page-copy twin-diff plain'] '$E/density.dat' using (strcol(1) eq m ? \$2 : 1/0):3 with linespoints title m"
} >"$E/density.gp"
gnuplot "$E/density.gp"

# --- sharing patterns: modelled time per operation, per workload and mode
for n in $HOST_COUNTS; do
	log "eval: sharing patterns ($n hosts, stale-cache mode)"
	run_job "patterns-$n" "$n" mreps=5 patterns
	# workload mode kops faults xfers recalls wb copy model
	awk '$2 ~ /^(morsels|page-copy|twin-diff|plain)$/ { print $1, $2, $9 }' \
		"$E/patterns-$n.txt" >"$E/patterns-$n.dat"
	[[ $(wc -l <"$E/patterns-$n.dat") == 24 ]] || die "patterns: no table in $E/patterns-$n.txt"
	{
		echo "set terminal png size 1000,560"
		echo "set output '$E/patterns-$n.png'"
		echo "set title 'sharing patterns: modelled time per operation ($(sed -n 's/^platform: //p' "$E/patterns-$n.txt"))' noenhanced"
		echo "set style data histogram; set style histogram cluster gap 1"
		echo "set style fill solid border -1; set boxwidth 0.9"
		echo "set logscale y; set ylabel 'modelled us per op (log)'; set grid ytics"
		echo "set key top right noenhanced; set xtics noenhanced rotate by -20"
		echo "\$d << EOD"
		awk '{ v[$1, $2] = ($3 > 0 ? $3 : 0.0001); if (!s[$1]++) o[n++] = $1 }
		     END { for (i = 0; i < n; i++) print o[i], v[o[i], "morsels"], v[o[i], "page-copy"], v[o[i], "twin-diff"], v[o[i], "plain"] }' \
			"$E/patterns-$n.dat"
		echo "EOD"
		echo "plot \$d using 2:xtic(1) title 'morsels', '' using 3 title 'page-copy', '' using 4 title 'twin-diff', '' using 5 title 'plain (upper bound)'"
	} >"$E/patterns-$n.gp"
	gnuplot "$E/patterns-$n.gp"
done

# --- PageRank and BFS on a shared graph: modelled time per phase and mode
for n in $HOST_COUNTS; do
	log "eval: PageRank and BFS, R-MAT scale 17 ($n hosts, stale-cache mode)"
	run_job "graph-$n" "$n" "" graph
	"$REPO/bench/graph-verify.sh" "$E/graph-$n-run" >>"$E/graph-$n.txt" ||
		die "graph on $n hosts: results differ from the reference or igraph: see $E/graph-$n.txt"
done
# phase mode secs faults xfers recalls wb copy model +lines: PageRank, per host count
for n in $HOST_COUNTS; do
	awk -v n="$n" '$1 == "pagerank" && $2 ~ /^(morsels|page-copy|twin-diff|plain)$/ { print n, $2, $9, $10 }' \
		"$E/graph-$n.txt"
done >"$E/graph.dat"
[[ $(wc -l <"$E/graph.dat") == $((4 * $(wc -w <<<"$HOST_COUNTS"))) ]] || die "graph: no table in $E/graph-*.txt"
{
	echo "set terminal png size 1000,560"
	echo "set output '$E/graph.png'"
	echo "set title 'PageRank, R-MAT scale 17: modelled time per run (hosts: $HOST_COUNTS; $(sed -n 's/^platform: accelerator \([^,]*\).*/\1/p' "$E/graph-$(awk '{ print $1; exit }' <<<"$HOST_COUNTS").txt"))' noenhanced"
	echo "set style data histogram; set style histogram cluster gap 1"
	echo "set style fill solid border -1; set boxwidth 0.9"
	echo "set logscale y; set ylabel 'modelled ms (log)'; set grid ytics"
	echo "set key top left noenhanced; set xtics noenhanced rotate by -30"
	echo "\$d << EOD"
	awk '{ k = $1 "-hosts:" $2; print k, ($3 > 0 ? $3 : 0.01), ($4 > 0 ? $4 : 0.01) }' "$E/graph.dat"
	echo "EOD"
	echo "plot \$d using 2:xtic(1) title 'counted (faults, recalls, copies, bytes)', '' using 3 title '+ on-demand line loads (estimated)'"
} >"$E/graph.gp"
gnuplot "$E/graph.gp"

# --- unmodified SQLite and LMDB on morselfs, their files of each mode
# (mount -o coherence=, from mcoherence=), stale-cache mode
for mode in morsels pagecopy twindiff plain; do
	log "eval: SQLite and LMDB, $mode files"
	rm -f "$E/app.pool"
	"$REPO/scripts/hosts.sh" -n 2 -t 900 -p "$E/app.pool" -o "$E/sqlite-$mode-run" "${NUMA_OPT[@]}" \
		-a "mtransfers=200 mcoherence=$mode morsel.stale_cache=1" sqlite \
		>"$E/sqlite-$mode-run.log" 2>&1 || die "sqlite ($mode) failed: see $E/sqlite-$mode-run"
	rm -f "$E/app.pool"
	"$REPO/scripts/hosts.sh" -n 3 -t 900 -p "$E/app.pool" -o "$E/lmdb-$mode-run" "${NUMA_OPT[@]}" \
		-a "mops=1000 mcoherence=$mode morsel.stale_cache=1" lmdb \
		>"$E/lmdb-$mode-run.log" 2>&1 || die "lmdb ($mode) failed: see $E/lmdb-$mode-run"
	rm -f "$E/app.pool"
	cat "$E/sqlite-$mode-run"/host*.log |
		grep -a -o '\(delete\|wal\): host [0-9]*: [0-9.]* transactions/s.*' | tr -d '\r' | sort |
		sed "s/^/$mode /" >>"$E/sqlite.txt"
	cat "$E/lmdb-$mode-run"/host*.log | grep -a -o 'lmdb: host [0-9]*: [0-9.]* operations/s.*' |
		tr -d '\r' | sort | sed "s/^/$mode /" >>"$E/lmdb.txt"
done
[[ $(grep -c . "$E/sqlite.txt") == 16 && $(grep -c . "$E/lmdb.txt") == 12 ]] ||
	die "SQLite or LMDB printed no throughput: see $E/sqlite-*-run, $E/lmdb-*-run"

# --- policy A/B
log "eval: policy A/B (2 hosts)"
"$REPO/bench/ab.sh" -o "$E/ab-run" "${NUMA_OPT[@]}" >"$E/ab-run.log" 2>&1 ||
	die "policy A/B failed: see $E/ab-run.log"
cp "$E/ab-run/ab.txt" "$E/ab.txt"
cp "$E/ab-run/ab.png" "$E/ab.png"

{
	echo "morsels evaluation, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(ls -d /sys/devices/system/node/node[0-9]* | wc -l) NUMA node(s)"
	grep -h 'dual-NUMA' "$E"/*-run.log | sort -u || echo "NUMA: no binding asked (make eval NUMA=1 binds)"
	echo
	echo "== write density (bench/density.c) =="
	cat "$E/density.txt"
	for n in $HOST_COUNTS; do
		echo
		echo "== sharing patterns, $n hosts (bench/patterns.c) =="
		cat "$E/patterns-$n.txt"
	done
	for n in $HOST_COUNTS; do
		echo
		echo "== PageRank and BFS, $n hosts (bench/graph.c) =="
		cat "$E/graph-$n.txt"
	done
	echo
	echo "== unmodified SQLite, 2 hosts, 200 bank transfers each, per file mode (stale-cache mode) =="
	cat "$E/sqlite.txt"
	echo
	echo "== unmodified LMDB, 3 hosts, 1000 operations each, per file mode (stale-cache mode) =="
	cat "$E/lmdb.txt"
	echo
	echo "== policy A/B (bench/ab.sh) =="
	cat "$E/ab.txt"
	echo
	echo "plots: $(cd "$E" && ls ./*.png | tr '\n' ' ')"
	echo "took $(( ($(date +%s) - t0) / 60 )) min"
} >"$E/summary.txt"
cat "$E/summary.txt"
log "eval: tables and plots in $E"
