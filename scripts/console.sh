#!/bin/bash
# Boot N hosts on one pool with morselfs mounted at /mnt/pool and a shell on
# each host's console, in tmux panes (one per host): try it by hand.
#
#   console.sh [-n HOSTS] [-x PATH]... [other scripts/hosts.sh options]
#     -n HOSTS   hosts (default 2)
#     -x PATH    a program or a directory of them, added to every guest's
#                /usr/local/bin (static, or linked to the guests' libraries)
#
# Leave a host with 'exit' (it powers off); Ctrl-b d detaches from tmux and
# stops every host. The guests have sqlite3 and the LMDB tools.
set -euo pipefail
. "$(dirname "$0")/config.sh"

command -v tmux >/dev/null && command -v socat >/dev/null ||
	die "tmux and socat are missing: run scripts/deps.sh"
HOSTS=2
args=()
while (($#)); do
	case $1 in
	-n) HOSTS=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set/p' "$0" | sed '$d'; exit 0 ;;
	*) args+=("$1"); shift ;;
	esac
done
RUN=$OUT/runs/console-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$RUN"
"$REPO/scripts/hosts.sh" -n "$HOSTS" -i -t 86400 -o "$RUN" "${args[@]}" console \
	>"$RUN/launcher.log" 2>&1 &
launcher=$!
session=morsel-$$
trap 'tmux kill-session -t "$session" 2>/dev/null; kill -TERM $launcher 2>/dev/null; wait $launcher 2>/dev/null' EXIT
for _ in $(seq 200); do
	[[ -f $RUN/consoles && $(wc -l <"$RUN/consoles") -ge $HOSTS ]] && break
	kill -0 $launcher 2>/dev/null || die "the hosts did not start: $(tail -3 "$RUN/launcher.log")"
	sleep 0.1
done
mapfile -t socks <"$RUN/consoles"
for _ in $(seq 100); do
	[[ -S ${socks[-1]} ]] && break
	sleep 0.1
done
attach() {	# the pane of host $1
	echo "exec socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:${socks[$1]}"
}
tmux new-session -d -s "$session" -x 200 -y 50 "$(attach 0)"
for ((i = 1; i < HOSTS; i++)); do
	tmux split-window -t "$session" "$(attach "$i")"
	tmux select-layout -t "$session" tiled >/dev/null
done
log "$HOSTS hosts booting (logs in $RUN); tmux session $session"
if [[ -t 0 && -t 1 ]]; then
	tmux attach -t "$session"
else
	log "no terminal here: attach with 'tmux attach -t $session' from one; Ctrl-C stops the hosts"
	wait $launcher
fi
