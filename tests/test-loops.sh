#!/bin/sh
# The event-loop consumers of doc/examples/ (glib, sd-event, uv) against
# real producers, each loop in turn:
#  - at once: producer (3 files), sshm-send (one region 100 times, and 200
#    inline copies), nonblock-producer (twice), and tests/loop-peer as a
#    hostile peer (a refused region, then a malformed header), three
#    departing ones (gone with messages unread) and a deaf one (never
#    reads: the consumer's releases queue and its wake fd must get them
#    out);
#  - every honest payload arrived intact: the consumer's "cksum C S"
#    lines, computed by its workers, are exactly those of cksum(1) on the
#    files and those the producers report;
#  - a producer killed mid-stream: everything it reported sent arrived;
#  - then, idle: no CPU burnt (while a deaf peer whose releases were
#    stuck stays connected), as many fds as before the first producer;
#    one more producer is served; SIGINT ends it with status 0 and its
#    socket file removed.
# A loop whose library configure did not find is a SKIP line with the
# reason; the test is skipped (77) when none was built.
set -eu
ex="${top_builddir:-.}/doc/examples"
send="${top_builddir:-.}/tools/sshm-send"
peer="${top_builddir:-.}/tests/loop-peer"
tmp=$(mktemp -d)
bg=
cons=
cleanup()
{
	# timeout(1) cannot pass a SIGKILL on: the consumer, which runs under
	# it, is killed by its own pid; the programs under timeout get a
	# SIGTERM, which it passes on.
	[ -z "$cons" ] || kill -KILL "$cons" 2>/dev/null || true
	for p in $bg; do kill -TERM "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

fail()
{
	echo "FAIL: $loop: $*"
	for f in "$tmp"/*.err "$tmp/$loop.out"; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
	done
	exit 1
}

# A hung program must fail the test, not the CI job.  See test-examples.sh
# for why the consumer, which gets our SIGINT, runs under --foreground.
limit=
flimit=
if command -v timeout >/dev/null 2>&1; then
	limit="timeout 60"
	flimit="timeout --foreground 180"
fi

# poll_for SECONDS COMMAND...: until COMMAND succeeds; 1 on timeout.
poll_for()
{
	n=$(($1 * 20))
	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

wait_for()
{
	poll_for "$@" || fail "timed out waiting for: $*"
}

# cksum(1) of FILE, COUNT times, as the consumer prints it.
expect()
{
	s=$(cksum <"$1")
	i=0
	while [ "$i" -lt "$2" ]; do
		echo "$s"
		i=$((i + 1))
	done
}

cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

fd_count()
{
	ls "/proc/$1/fd" | wc -l
}

fds_are()
{
	[ "$(fd_count "$pid")" -eq "$1" ]
}

lines()
{
	grep -c "$1" "$2" || true
}

# at_least N PATTERN FILE: N lines or more match (for wait_for).
at_least()
{
	[ "$(lines "$2" "$3")" -ge "$1" ]
}

# Every payload the killed producer reported sent is in the consumer's lines.
all_delivered()
{
	sed -n 's/.* cksum \([0-9]* [0-9]*\)$/\1/p' "$out" | sort >"$tmp/got"
	[ -z "$(comm -23 "$tmp/killed.sent" "$tmp/got")" ]
}

# Started at once, waited for together; every one must exit 0.
start()
{
	name=$1
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	bg="$bg $!"
}

head -c 70001 /dev/urandom >"$tmp/f1"
head -c 1048577 /dev/urandom >"$tmp/f2"
head -c 3000000 /dev/urandom >"$tmp/f3"
head -c 65537 /dev/urandom >"$tmp/f4"
head -c 999 /dev/urandom >"$tmp/f5"

run_loop()
{
	sock="$tmp/$loop.sock"
	out="$tmp/$loop.out"
	rm -f "$tmp"/*.err
	$flimit "$ex/$loop-consumer" "$sock" >"$out" 2>"$tmp/consumer.err" &
	cpid=$!
	bg="$cpid"
	wait_for 10 grep -qs 'listening on' "$tmp/consumer.err"
	pid=$(sed -n 's/.*listening on .*, pid \([0-9]*\)$/\1/p' "$tmp/consumer.err")
	cons=$pid
	[ -S "$sock" ] || fail "no socket at $sock"
	fds=$(fd_count "$pid")

	# ---- many producers at once, a hostile, departing and deaf ones
	pids=
	for n in 1 2 3; do
		start "producer$n" $limit "$ex/producer" "$sock" "$tmp/f$n"
	done
	start send-n $limit "$send" -n 100 "$sock" "$tmp/f4"
	start send-i $limit "$send" -i -n 200 "$sock" "$tmp/f5"
	start nonblock1 $limit "$ex/nonblock-producer" "$sock" 150
	start nonblock2 $limit "$ex/nonblock-producer" "$sock" 150
	start hostile $limit "$peer" hostile "$sock"
	for n in 1 2 3; do
		start "depart$n" $limit "$peer" depart "$sock"
	done
	start deaf $limit "$peer" deaf "$sock"
	for p in $pids; do
		wait "$p" || fail "a producer exited with $? (see its .err)"
	done
	bg="$cpid"
	{
		for n in 1 2 3; do expect "$tmp/f$n" 1; done
		expect "$tmp/f4" 100
		expect "$tmp/f5" 200
		sed -n 's/.* cksum \([0-9]* [0-9]*\)$/\1/p' "$tmp"/nonblock?.out
		sed -n 's/^cksum //p' "$tmp"/hostile.out "$tmp"/depart?.out "$tmp"/deaf.out
	} | sort >"$tmp/expected"
	want=$(wc -l <"$tmp/expected")
	# The comparison says what is missing, if anything is.
	poll_for 30 at_least "$want" ' cksum ' "$out" || true
	sed -n 's/.* cksum \([0-9]* [0-9]*\)$/\1/p' "$out" | sort >"$tmp/got"
	cmp -s "$tmp/expected" "$tmp/got" ||
		fail "the payloads delivered differ from those sent: $(diff "$tmp/expected" "$tmp/got" | head -n 5)"
	grep -q 'message 1: refused: required seals are missing' "$out" ||
		fail "the unsealed region was not refused"
	grep -q 'dropped after 2 messages: malformed message header' "$out" ||
		fail "the hostile peer was not dropped after its malformed header"
	# All but the hostile one: producer 3, sshm-send 2, nonblock 2, depart 3, deaf.
	wait_for 30 at_least 11 'producer left' "$out"
	grep -q 'stalled after' "$tmp/deaf.out" ||
		echo "note: $loop: the deaf peer never filled the consumer's socket"
	echo "PASS: $loop: $want payloads from 12 producers at once intact, the hostile one dropped"

	# ---- a producer killed mid-stream
	"$ex/nonblock-producer" "$sock" 1000000 >"$tmp/killed.out" 2>"$tmp/killed.err" &
	kpid=$!
	bg="$cpid $kpid"
	wait_for 30 at_least 30 '^sent' "$tmp/killed.out"
	kill -KILL "$kpid"
	wait "$kpid" 2>/dev/null || true
	bg="$cpid"
	wait_for 30 at_least 12 'producer left' "$out"
	# The workers may still be checking its last views.
	sed -n 's/.* cksum \([0-9]* [0-9]*\)$/\1/p' "$tmp/killed.out" | sort >"$tmp/killed.sent"
	poll_for 30 all_delivered ||
		fail "messages the killed producer had sent were not delivered: $(comm -23 "$tmp/killed.sent" "$tmp/got" | head -n 3)"
	echo "PASS: $loop: $(wc -l <"$tmp/killed.sent") messages of a producer killed mid-stream delivered"

	# ---- idle: nothing burnt (a wake fd left readable would spin the
	# loop while its channel lives), nothing left open
	$limit "$peer" deaf "$sock" 3 >"$tmp/deaf2.out" 2>"$tmp/deaf2.err" &
	dpid=$!
	bg="$cpid $dpid"
	wait_for 30 grep -q '^deaf:' "$tmp/deaf2.out"
	t0=$(cpu_ticks "$pid")
	sleep 1
	t1=$(cpu_ticks "$pid")
	[ $((t1 - t0)) -le 20 ] || fail "the consumer used $((t1 - t0)) ticks of CPU in 1 s of idleness"
	wait "$dpid" || fail "the second deaf peer exited with $?"
	bg="$cpid"
	wait_for 10 at_least 13 'producer left' "$out"
	# A channel's socket and wake fd close with the last view the workers
	# drop.
	poll_for 10 fds_are "$fds" ||
		fail "$(fd_count "$pid") fds open once every producer left, $fds before"
	$limit "$ex/producer" "$sock" "$tmp/f1" 2>"$tmp/last.err" || fail "the last producer exited with $?"
	wait_for 10 at_least 14 'producer left' "$out"
	echo "PASS: $loop: idle without CPU, no fd left open, still serving"

	kill -INT "$cpid"
	wait "$cpid" || fail "exited with $? on SIGINT"
	bg=
	cons=
	grep -q 'stopped after [0-9]* messages, every view released' "$tmp/consumer.err" ||
		fail "no report of a clean stop"
	[ ! -e "$sock" ] || fail "the socket file was left behind"
	echo "PASS: $loop: stops on SIGINT"
}

# Which loops configure found; by hand, those built.
if [ "${SSHM_LOOPS+set}" != set ]; then
	SSHM_LOOPS=
	for l in glib sd-event uv; do
		[ -x "$ex/$l-consumer" ] && SSHM_LOOPS="$SSHM_LOOPS $l"
	done
fi
ran=0
for loop in glib sd-event uv; do
	case " $SSHM_LOOPS " in
	*" $loop "*)
		run_loop
		ran=$((ran + 1))
		;;
	*)
		case $loop in
		glib) why="glib-2.0 (libglib2.0-dev)" ;;
		sd-event) why="libsystemd (libsystemd-dev)" ;;
		uv) why="libuv (libuv1-dev)" ;;
		esac
		echo "SKIP: $loop-consumer: $why was not found at configure time"
		;;
	esac
done
[ "$ran" -gt 0 ] || exit 77
