#!/usr/bin/env bash
# A local 3-member raftkv cluster, etcd's Procfile layout:
#
#   member  client URL               peer URL
#   m1      http://127.0.0.1:2379    http://127.0.0.1:12380
#   m2      http://127.0.0.1:22379   http://127.0.0.1:22380
#   m3      http://127.0.0.1:32379   http://127.0.0.1:32380
#
#   scripts/cluster.sh run        start all three; their logs, prefixed with
#                                 the member's name, go to this terminal;
#                                 Ctrl-C stops them all
#   scripts/cluster.sh stop N     kill member N abruptly (SIGKILL: a crash)
#   scripts/cluster.sh start N    start member N again (its logs appear in
#                                 the terminal running "run")
#   scripts/cluster.sh status     one line per member: role, term, the leader
#                                 it follows, commit and applied index, URL
#
# Data lives under $DATA (default ./data). Binaries come from $BIN (default
# ./bin). `make cluster`, `make stop-member M=N`, `make start-member M=N`
# and `make status` call this script. It needs curl.
set -euo pipefail

DATA=${DATA:-./data}
BIN=${BIN:-./bin}
TOKEN=${TOKEN:-raftkv-local}
CLUSTER="m1=http://127.0.0.1:12380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380"

client_port() { case $1 in 1) echo 2379 ;; 2) echo 22379 ;; 3) echo 32379 ;; esac; }
peer_port()   { case $1 in 1) echo 12380 ;; 2) echo 22380 ;; 3) echo 32380 ;; esac; }

check_member() {
	case ${1:-} in 1|2|3) ;; *) echo "usage: $0 start|stop 1|2|3" >&2; exit 2 ;; esac
}

# start_member N: run member N in the background, its output prefixed "mN | ".
start_member() {
	local n=$1 c p state=new
	c=$(client_port "$n"); p=$(peer_port "$n")
	mkdir -p "$DATA"
	# The data directory says whether this member has run before; raftkv
	# restarts from it either way (the initial-cluster flags only matter the
	# first time). This is a cluster for learning on loopback, so the /ui
	# page's pause/isolate/transfer controls are switched on.
	# The subshell says how the member ended, in the member's own words
	# (bash's "Killed" job notice is silenced by its 2>/dev/null). It does
	# not stop at a failed pipeline (set -e with pipefail would, before
	# saying that a member was killed).
	#
	# The prefixer ignores SIGINT: Ctrl-C reaches the whole process group,
	# and a sed that died of it at once would leave its member, still
	# logging its shutdown, to die of SIGPIPE mid-sentence. sed ends when
	# the member closes its output.
	( set +e
		"$BIN/raftkv" --name "m$n" --data-dir "$DATA/m$n" \
		--listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
		--listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
		--initial-cluster "$CLUSTER" --initial-cluster-token "$TOKEN" --initial-cluster-state "$state" \
		--experimental-debug-controls \
		2>&1 | (trap '' INT; exec sed -u "s/^/m$n | /")
		status=${PIPESTATUS[0]}
		if [ "$status" -gt 128 ]; then
			echo "m$n | exited: killed by signal $((status - 128))"
		else
			echo "m$n | exited with status $status"
		fi ) 2>/dev/null &
	# Remember the raftkv process itself (not the pipeline) so `stop` can
	# kill exactly it.
	local pid=""
	for _ in $(seq 1 50); do
		pid=$(pgrep -n -f -- "--name m$n --data-dir $DATA/m$n" || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	echo "$pid" > "$DATA/m$n.pid"
}

stop_member() {
	local n=$1 pid
	pid=$(cat "$DATA/m$n.pid" 2>/dev/null || true)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "m$n is not running" >&2
		return 0
	fi
	kill -9 "$pid"
	rm -f "$DATA/m$n.pid"
	echo "killed m$n (pid $pid) with SIGKILL, as a crash would"
}

running() {
	local pid
	pid=$(cat "$DATA/m$1.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# cluster_over: no member runs, none is asked to start, and at least one
# ended by itself (a signal or a failure) rather than by `stop`, which
# removes its pid file: a cluster crashed member by member with `stop` is
# still served, so that `start` can bring it back.
#
# This is how the loop below learns that the cluster was interrupted when
# its own trap cannot: a script that runs `make cluster &` starts it with
# SIGINT ignored (a non-interactive shell does that to background jobs), and
# bash can never trap a signal that was ignored when it started. The
# members, Go programs, still hear SIGINT sent to the process group and
# stop; the loop sees them gone.
cluster_over() {
	local n ended=no
	for n in 1 2 3; do
		if running "$n" || [ -e "$DATA/m$n.start" ]; then
			return 1
		fi
		if [ -e "$DATA/m$n.pid" ]; then
			ended=yes
		fi
	done
	[ "$ended" = yes ]
}

# answers N: member N answers /health with 200, which it does once it knows
# a leader and a read through the leader succeeds.
answers() {
	[ "$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$(client_port "$1")/health" 2>/dev/null)" = 200 ]
}

run() {
	mkdir -p "$DATA"
	rm -f "$DATA"/m*.start
	for n in 1 2 3; do
		if running "$n"; then
			echo "m$n is already running (pid $(cat "$DATA/m$n.pid")); stop it first" >&2
			exit 1
		fi
	done
	command -v curl >/dev/null || { echo "make cluster needs curl (to ask the members whether they answer)" >&2; exit 1; }
	# A member's term, vote and log are on disk: a second run goes on from
	# where the last one stopped, it does not start over at term 1.
	if [ -d "$DATA/m1" ] || [ -d "$DATA/m2" ] || [ -d "$DATA/m3" ]; then
		echo "restarting from $DATA: terms and logs go on from the last run"
		echo "(for a fresh cluster: Ctrl-C, rm -rf $DATA, make cluster)"
	fi
	cleanup() {
		trap - INT TERM EXIT
		for n in 1 2 3; do
			pid=$(cat "$DATA/m$n.pid" 2>/dev/null || true)
			[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
		done
		wait 2>/dev/null || true
		rm -f "$DATA"/m*.pid "$DATA"/m*.start
		echo "cluster stopped"
		# A trap handler returns to the loop below; leave instead, with
		# status 0: a Ctrl-C is how this cluster is meant to end.
		exit 0
	}
	trap cleanup INT TERM EXIT
	for n in 1 2 3; do start_member "$n"; done
	local announced=no tries=0
	while true; do
		# Running means usable: every member answers, a leader elected.
		if [ "$announced" = no ]; then
			if answers 1 && answers 2 && answers 3; then
				announced=yes
				echo "cluster running: m1 http://127.0.0.1:2379, m2 http://127.0.0.1:22379, m3 http://127.0.0.1:32379"
				echo "  each member serves the live view at its URL + /ui; make status shows who leads"
				echo "  Ctrl-C stops the cluster"
			elif [ $((tries += 1)) = 100 ]; then
				echo "not every member answers yet; make status shows which"
			fi
		fi
		# Serve `start N` requests from other terminals, so a restarted
		# member's logs appear here with the others.
		for n in 1 2 3; do
			if [ -e "$DATA/m$n.start" ]; then
				rm -f "$DATA/m$n.start"
				if running "$n"; then
					echo "m$n is already running"
				else
					start_member "$n"
				fi
			fi
		done
		if cluster_over; then
			echo "every member has ended"
			exit 0 # through cleanup, the EXIT trap
		fi
		sleep 0.3
	done
}

# first KEY <<< JSON: the value of the first "KEY" in a member's /debug/raft
# answer, unquoted. The member's own fields come before its log and its
# messages, which repeat some names ("term"), so the first one is its own.
first() {
	{ grep -o "\"$1\":\(\"[^\"]*\"\|[0-9]*\|true\)" || true; } | head -n 1 | sed -e 's/^"[^"]*"://' -e 's/"//g'
}

# status: one line per member, from its GET /debug/raft, within 100
# columns. etcdctl's `endpoint status -w table` marks the leader but names
# no member, and is twice as wide.
status() {
	command -v curl >/dev/null || { echo "make status needs curl" >&2; exit 1; }
	local n views=() names row='%-6s  %-13s  %4s  %-6s  %6s  %7s  %-22s  %s\n'
	for n in 1 2 3; do
		views[n]=$(curl -s --max-time 2 "http://127.0.0.1:$(client_port "$n")/debug/raft" 2>/dev/null || true)
	done
	# Member IDs to names, from the member lists of all answers: the leader
	# a member follows is named even when it does not answer itself.
	names=$(printf '%s\n' "${views[@]}" | { grep -o '"id":"[0-9a-f]*","name":"[^"]*"' || true; } |
		sed 's/"id":"\([0-9a-f]*\)","name":"\([^"]*\)"/\1 \2/' | sort -u)
	# shellcheck disable=SC2059 # the format is the row above
	printf "$row" MEMBER ROLE TERM LEADER COMMIT APPLIED "CLIENT URL" ""
	for n in 1 2 3; do
		local v=${views[n]} url lead notes=""
		url="http://127.0.0.1:$(client_port "$n")"
		if ! grep -q '"role"' <<<"$v"; then
			printf "$row" "m$n" down - - - - "$url" ""
			continue
		fi
		lead=$(first leader <<<"$v")
		if [ -n "$lead" ]; then
			lead=$(awk -v id="$lead" '$1 == id { print $2; exit }' <<<"$names")
			lead=${lead:-?}
		else
			lead=-
		fi
		[ "$(first isolated <<<"$v")" = true ] && notes="isolated "
		[ "$(first paused <<<"$v")" = true ] && notes="${notes}clock paused"
		printf "$row" "$(first name <<<"$v")" "$(first role <<<"$v")" "$(first term <<<"$v")" "$lead" \
			"$(first commit <<<"$v")" "$(first applied <<<"$v")" "$url" "$notes"
	done
}

case ${1:-} in
run) run ;;
stop) check_member "${2:-}"; stop_member "$2" ;;
start)
	check_member "${2:-}"
	if running "$2"; then echo "m$2 is already running"; exit 0; fi
	if [ ! -d "$DATA" ]; then echo "no cluster data in $DATA: run 'make cluster' first" >&2; exit 1; fi
	touch "$DATA/m$2.start"
	echo "asked the cluster to start m$2 again (watch its terminal)"
	;;
status) status | sed 's/ *$//' ;;
*) echo "usage: $0 run | stop N | start N | status" >&2; exit 2 ;;
esac
