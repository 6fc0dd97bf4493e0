#!/bin/sh
# sshm-recv against hostile peers (tests/raw-peer) and honest producers
# (sshm-send) at the same time:
#  (i)   silent peers (nothing, a HELLO only, a REGION then nothing) do not
#        delay an honest producer;
#  (ii)  a refused message (a write-only memfd: EACCES from the mapping) is
#        reported and the same connection goes on, with -k; without -k it
#        ends the run with status 2;
#  (iii) --max-connections closes the connection beyond it at once, and
#        --idle-timeout frees the slots of silent peers;
#  (iv)  --allow-uid/--allow-gid refuse other users, accept ours;
#  (v)   --stats counts all of it at exit (here on SIGTERM);
#  (vi)  without -k the tool exits once its producer is done, whoever else
#        is connected; --connect still works.
# Every scenario runs even when one before failed; every step is bounded
# by timeout(1), so a hang fails the test instead of the CI job.
set -u
tools="${top_builddir:-.}/tools"
peer="${top_builddir:-.}/tests/raw-peer"
tmp=$(mktemp -d)
bg=
failed=0

cleanup()
{
	for p in $bg; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v timeout >/dev/null 2>&1; then
	echo "SKIP: timeout(1) is needed to bound every step"
	exit 77
fi
# --foreground: a signal for sshm-recv reaches it once, not twice (a
# second one kills it at once, without its statistics).
T="timeout --foreground"

# Prints why, and the logs of the scenario; the scenario returns 1.
bad()
{
	echo "FAIL: $*"
	for f in "$tmp"/*.err "$tmp"/*.peer; do
		[ -s "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	return 1
}

wait_socket()
{
	i=0
	while :; do
		case $1 in
		@*) grep -q " $1\$" /proc/net/unix 2>/dev/null && return 0 ;;
		*) [ -S "$1" ] && return 0 ;;
		esac
		i=$((i + 1))
		[ "$i" -le 200 ] || { bad "$1 never appeared: sshm-recv did not start"; return 1; }
		sleep 0.05
	done
}

# Waits until raw-peer wrote "connected" to $1: its packets are sent.
wait_connected()
{
	i=0
	until grep -q '^connected$' "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 200 ] || { bad "$1: the peer never connected"; return 1; }
		sleep 0.05
	done
}

# The milliseconds after which raw-peer saw the close ("closed after N ms").
closed_after()
{
	sed -n 's/^closed after \([0-9]*\) ms.*/\1/p' "$1"
}

# Starts sshm-recv with "$@" for at most $limit seconds, sets $rpid.
limit=60
start_recv()
{
	$T $limit "$tools/sshm-recv" "$@" &
	rpid=$!
	bg="$bg $rpid"
}

# Stops sshm-recv with SIGTERM and sets $rc to its exit status.
stop_recv()
{
	kill -TERM "$rpid" 2>/dev/null || true
	rc=0
	wait "$rpid" || rc=$?
}

# ---- (i) silent peers do not delay an honest producer
scenario_silent()
{
	s="$tmp/s1"
	start_recv -k -o "$tmp/out1" "$s" 2>"$tmp/recv1.err"
	wait_socket "$s" || return 1
	for m in idle hello-only one-region-then-silence; do
		$T 30 "$peer" -t 20 "$s" $m >"$tmp/$m.peer" 2>&1 &
		bg="$bg $!"
	done
	for m in idle hello-only one-region-then-silence; do
		wait_connected "$tmp/$m.peer" || return 1
	done
	echo "honest payload" >"$tmp/in1"
	$T 3 "$tools/sshm-send" "$s" "$tmp/in1" 2>"$tmp/send1.err" ||
		{ bad "(i) sshm-send behind three silent peers: exit $? (124: still waiting after 3 s)"; return 1; }
	grep -q '^honest payload$' "$tmp/out1" ||
		{ bad "(i) the honest payload was not written"; return 1; }
	kill -0 "$rpid" 2>/dev/null || { bad "(i) sshm-recv -k exited"; return 1; }
	stop_recv
	[ "$rc" -eq 0 ] || { bad "(i) sshm-recv -k exited with $rc on SIGTERM, not 0"; return 1; }
	echo "PASS: (i) an honest producer got through beside three silent peers"
}

# ---- (ii) a refused message, then a good one on the same connection
scenario_refusal()
{
	s="$tmp/s2"
	start_recv -k -o "$tmp/out2" "$s" 2>"$tmp/recv2.err"
	wait_socket "$s" || return 1
	$T 15 "$peer" -t 10 "$s" write-only-region >"$tmp/wo.peer" 2>&1 ||
		{ bad "(ii) the good region after a refused one: raw-peer exit $?"; return 1; }
	grep -q 'message 1: refused: Permission denied' "$tmp/recv2.err" ||
		{ bad "(ii) the refusal was not reported"; return 1; }
	grep -q '^good region$' "$tmp/out2" ||
		{ bad "(ii) the good region was not written"; return 1; }
	echo "after the refusal" >"$tmp/in2"
	$T 3 "$tools/sshm-send" "$s" "$tmp/in2" 2>"$tmp/send2.err" &&
		grep -q '^after the refusal$' "$tmp/out2" ||
		{ bad "(ii) sshm-recv -k stopped serving after a refusal"; return 1; }
	stop_recv
	[ "$rc" -eq 2 ] || { bad "(ii) sshm-recv -k exited with $rc, not 2, after a refusal"; return 1; }

	# Without -k the first refusal ends the run: status 2, not 3.
	s="$tmp/s2b"
	start_recv -o /dev/null "$s" 2>"$tmp/recv2b.err"
	wait_socket "$s" || return 1
	$T 15 "$peer" -t 10 "$s" write-only-region >"$tmp/wo2.peer" 2>&1
	rc=0
	wait "$rpid" || rc=$?
	[ "$rc" -eq 2 ] || { bad "(ii) sshm-recv without -k exited with $rc after a refusal, not 2"; return 1; }
	echo "PASS: (ii) a refused message is reported, the connection goes on (-k), status 2"
}

# ---- (iii) --max-connections and --idle-timeout
scenario_bounds()
{
	s="$tmp/s3"
	start_recv -k --stats --max-connections 2 --idle-timeout 2 -o "$tmp/out3" "$s" \
		2>"$tmp/recv3.err"
	wait_socket "$s" || return 1
	pids=
	for n in a b; do
		$T 30 "$peer" -t 20 "$s" idle >"$tmp/idle-$n.peer" 2>&1 &
		pids="$pids $!"
	done
	bg="$bg $pids"
	wait_connected "$tmp/idle-a.peer" && wait_connected "$tmp/idle-b.peer" || return 1
	# Accepted in order: the third is beyond the bound.
	$T 30 "$peer" -t 20 "$s" idle >"$tmp/idle-c.peer" 2>&1 ||
		{ bad "(iii) the third idle peer was not closed (exit $?)"; return 1; }
	ms=$(closed_after "$tmp/idle-c.peer")
	[ -n "$ms" ] && [ "$ms" -lt 1500 ] ||
		{ bad "(iii) the third idle peer was closed after ${ms:-?} ms, not at once"; return 1; }
	# A producer turned away is told: sshm-send may not exit 0 when the
	# consumer closed before releasing what it sent.
	head -c 1048576 /dev/zero >"$tmp/big3"
	if $T 10 "$tools/sshm-send" "$s" "$tmp/big3" 2>"$tmp/send3-away.err"; then
		bad "(iii) sshm-send exited 0 though it was turned away"; return 1
	fi
	for p in $pids; do
		wait "$p" || { bad "(iii) an idle peer was never closed"; return 1; }
	done
	for n in a b; do
		ms=$(closed_after "$tmp/idle-$n.peer")
		[ -n "$ms" ] && [ "$ms" -ge 1500 ] ||
			{ bad "(iii) idle peer $n closed after ${ms:-?} ms: before its --idle-timeout"; return 1; }
	done
	echo "after the timeouts" >"$tmp/in3"
	$T 3 "$tools/sshm-send" "$s" "$tmp/in3" 2>"$tmp/send3.err" &&
		grep -q '^after the timeouts$' "$tmp/out3" ||
		{ bad "(iii) no honest producer got through after the idle ones timed out"; return 1; }
	stop_recv
	[ "$rc" -eq 0 ] || { bad "(iii) sshm-recv exited with $rc"; return 1; }
	grep -q 'stats: connections 3 served, 0 refused, 2 turned away, 2 timed out, 0 dropped' \
		"$tmp/recv3.err" || { bad "(iii) --stats did not count the connections"; return 1; }
	echo "PASS: (iii) --max-connections 2 turned the third away at once, --idle-timeout freed the slots"
}

# One "good" raw peer on @$1 with uid $2 (empty: ours); $3: released or refused.
allow_case()
{
	name=$1 uid=$2 want=$3
	shift 3
	start_recv -k --stats -o "$tmp/out4" "$@" "@$name" 2>"$tmp/recv4.err"
	wait_socket "@$name" || return 1
	prc=0
	$T 15 "$peer" -t 10 ${uid:+-u "$uid"} "@$name" good >"$tmp/allow.peer" 2>&1 || prc=$?
	stop_recv
	case $want in
	released)
		[ "$prc" -eq 0 ] || { bad "(iv) $* uid ${uid:-$(id -u)}: refused (peer exit $prc)"; return 1; }
		grep -q 'stats: connections 1 served, 0 refused' "$tmp/recv4.err" ||
			{ bad "(iv) $*: the connection was not counted as served"; return 1; } ;;
	refused)
		[ "$prc" -eq 3 ] || { bad "(iv) $* uid ${uid:-$(id -u)}: not refused (peer exit $prc)"; return 1; }
		grep -q 'stats: connections 0 served, 1 refused' "$tmp/recv4.err" ||
			{ bad "(iv) $*: the refusal was not counted"; return 1; } ;;
	esac
	return 0
}

# ---- (iv) --allow-uid, --allow-gid, on an abstract socket
scenario_allow()
{
	me=$(id -u)
	name="sshm-test-recv-$$"
	allow_case "$name-1" "" refused --allow-uid $((me + 1)) || return 1
	allow_case "$name-2" "" released --allow-uid "$me" || return 1
	allow_case "$name-3" "" released --allow-uid "$(id -un)" || return 1
	allow_case "$name-4" "" released --allow-uid $((me + 1)) --allow-gid "$(id -g)" || return 1
	if [ "$me" -ne 0 ]; then
		echo "PASS: (iv) --allow-uid/--allow-gid, our own uid (SKIP: connecting as another uid needs root)"
		return 0
	fi
	allow_case "$name-5" 65534 refused --allow-uid 0 || return 1
	allow_case "$name-6" 65534 refused --allow-uid 0 --allow-gid 0 || return 1
	allow_case "$name-7" 65534 released --allow-uid 0 --allow-uid 65534 || return 1
	echo "PASS: (iv) --allow-uid/--allow-gid refuse another uid, accept ours"
}

# ---- (v) --stats at exit, on SIGTERM
scenario_stats()
{
	s="$tmp/s5"
	start_recv -k --stats -o "$tmp/out5" "$s" 2>"$tmp/recv5.err"
	wait_socket "$s" || return 1
	echo "honest" >"$tmp/in5"
	$T 5 "$tools/sshm-send" "$s" "$tmp/in5" 2>"$tmp/send5.err" ||
		{ bad "(v) sshm-send: exit $?"; return 1; }
	$T 15 "$peer" -t 10 "$s" write-only-region >"$tmp/wo5.peer" 2>&1 ||
		{ bad "(v) raw-peer write-only-region: exit $?"; return 1; }
	stop_recv
	[ "$rc" -eq 2 ] || { bad "(v) sshm-recv -k --stats exited with $rc on SIGTERM, not 2"; return 1; }
	for want in 'stats: connections 2 served, 0 refused, 0 turned away, 0 timed out, 0 dropped' \
		'stats: messages 2 received (19 bytes), 1 refused' \
		'stats: refused 1: Permission denied' \
		'stats: releases 3 regions in [23] packets'; do
		grep -q "$want" "$tmp/recv5.err" || { bad "(v) no '$want'"; return 1; }
	done
	[ ! -e "$s" ] || { bad "(v) the socket file was left behind"; return 1; }
	echo "PASS: (v) --stats counts messages, bytes, refusals by name and releases"
}

# ---- (vi) the default run ends with its producer; --connect
scenario_default()
{
	s="$tmp/s6"
	limit=8
	start_recv -o "$tmp/out6" "$s" 2>"$tmp/recv6.err"
	limit=60
	wait_socket "$s" || return 1
	$T 30 "$peer" -t 20 "$s" idle >"$tmp/idle6.peer" 2>&1 &
	bg="$bg $!"
	wait_connected "$tmp/idle6.peer" || return 1
	head -c 300001 /dev/urandom >"$tmp/in6"
	$T 5 "$tools/sshm-send" "$s" "$tmp/in6" 2>"$tmp/send6.err" ||
		{ bad "(vi) sshm-send beside a silent peer: exit $? (124: still waiting after 5 s)"; return 1; }
	rc=0
	wait "$rpid" || rc=$?
	[ "$rc" -eq 0 ] || { bad "(vi) sshm-recv exited with $rc (124: not after its producer)"; return 1; }
	cmp -s "$tmp/in6" "$tmp/out6" || { bad "(vi) other bytes written than sent"; return 1; }

	$T 10 "$tools/sshm-send" --listen "$tmp/s6c" "$tmp/in6" 2>"$tmp/send6c.err" &
	spid=$!
	bg="$bg $spid"
	wait_socket "$tmp/s6c" || return 1
	$T 10 "$tools/sshm-recv" --connect --quiet -o "$tmp/out6c" "$tmp/s6c" 2>"$tmp/recv6c.err" ||
		{ bad "(vi) sshm-recv --connect: exit $?"; return 1; }
	wait "$spid" || { bad "(vi) sshm-send --listen: exit $?"; return 1; }
	cmp -s "$tmp/in6" "$tmp/out6c" || { bad "(vi) --connect: other bytes written than sent"; return 1; }
	echo "PASS: (vi) the default run ends with its producer beside a silent peer; --connect works"
}

for sc in silent refusal bounds allow stats default; do
	"scenario_$sc" || failed=1
	# What a failed scenario left running must not spill into the next.
	for p in $bg; do kill "$p" 2>/dev/null || true; done
	for p in $bg; do wait "$p" 2>/dev/null || true; done
	bg=
done
exit $failed
