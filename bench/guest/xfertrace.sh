#!/bin/sh
# Guest job xfertrace: record every morsel:* tracepoint with perf while
# objbench moves pages between hosts, then print this host's decoded trace
# on the console for bench/xfer-breakdown.py, which joins all hosts' traces
# by transfer id and splits each ownership transfer into its stages. Every
# host records and prints its own trace: a transfer has events on the taker
# (fault, recall sent, acquire) and on every host it asks (recall handled,
# write-back, release), and only all logs together cover it.
#
# The workload is objbench (its transfer phase: host 1 owns 400 pages, host
# 0 writes each once; then a read-shared phase whose downgrades are recalls
# the other way). perf runs it as its workload, so recording has started on
# this host before objbench does, and objbench's barriers hold the other
# host's transfers until both hosts are inside their recording.
#
# -k monotonic: the tracepoints' duration fields are ktime_get_ns()
# differences (CLOCK_MONOTONIC); perf's default clock is sched_clock, and
# the stamps and the durations are compared. Each host has its own clock
# all the same: the parser aligns them from the recall messages.
#
# Output on the console:
#   MORSEL-PERF-COUNTERS host H name=value...   this host's ownership counters
#   MORSEL-PERF-BEGIN host H
#   <perf script lines: tid [cpu] time(ns): morsel:event: fields>
#   MORSEL-PERF-END host H rc=R
# Each event ends in the transfer it serves ("xfer H:N"), by which the
# parser joins them; the tid is there for a reader. perf's own messages
# (lost events) and the workload's errors go before the BEGIN line,
# prefixed "# ". R is the workload's exit status (perf record passes it
# on), or 1 if perf script failed.
#
# mxfer=patterns on the kernel command line runs the sharing patterns
# (bench/patterns.c -q) on every host instead: their read-mostly writes
# revoke several readers at once, transfers that span more than two hosts.
PATH=/bin:/usr/bin:/sbin:/usr/sbin
me=$(cat /sys/kernel/morsel/pool/host_id 2>/dev/null)
data=/tmp/p.data
work=/bin/objbench
for a in $(cat /proc/cmdline); do
	case $a in
	mxfer=patterns) work="/bin/patterns -q" ;;
	mxfer=*) echo "# xfertrace: unknown workload ${a#mxfer=}"; exit 2 ;;
	esac
done

# 1024 pages (4 MiB) of ring per CPU: a transfer is about 16 events over its
# hosts and TCG drains the ring slowly; lost events would show as unmatched
# transfers, not as wrong ones, but cost samples.
# shellcheck disable=SC2086 # $work is a command and its argument
perf record -e 'morsel:*' -a -k monotonic -m 1024 -o "$data" -- $work \
	2>/tmp/perf-record.log
rc=$?
sed 's/^/# perf record: /' /tmp/perf-record.log

# Counters after the run, so that the parser can compare the transfers it
# matched with the ones the kernel counted.
line="MORSEL-PERF-COUNTERS host $me"
for f in /sys/kernel/morsel/ownership/*; do
	[ -f "$f" ] && line="$line ${f##*/}=$(cat "$f")"
done
echo "$line"

if [ -s "$data" ]; then
	if ! perf script -i "$data" --ns -F trace:tid,cpu,time,event,trace \
		>/tmp/p.txt 2>/tmp/perf-script.log; then
		[ "$rc" = 0 ] && rc=1
	fi
	sed 's/^/# perf script: /' /tmp/perf-script.log
	echo "MORSEL-PERF-BEGIN host $me"
	cat /tmp/p.txt
	echo "MORSEL-PERF-END host $me rc=$rc"
else
	echo "# xfertrace: perf recorded nothing on host $me (rc=$rc)"
	[ "$rc" = 0 ] && rc=1
fi
exit "$rc"
