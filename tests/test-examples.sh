#!/bin/sh
# The programs of doc/examples/ against the library of this build:
# producer -> consumer carries a file byte for byte through a socket, the
# consumer goes on after a refused message (tests/raw-peer sends it), and
# epoll-consumer serves three producers at once, goes on after a refused
# message, then stops on SIGINT.
set -eu
ex="${top_builddir:-.}/doc/examples"
peer="${top_builddir:-.}/tests/raw-peer"
tmp=$(mktemp -d)
bg=
cleanup()
{
	for p in $bg; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

fail()
{
	echo "FAIL: $*"
	for f in "$tmp"/*.err; do
		[ -s "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	exit 1
}

# A hung example must fail the test, not the CI job.  A prefix, not a shell
# function: "$!" must be the process that gets our SIGINT (timeout(1)
# passes it on; a subshell running in the background ignores it).
limit=
flimit=
if command -v timeout >/dev/null 2>&1; then
	limit="timeout 60"
	# Without --foreground, timeout passes a SIGINT on twice (to the
	# command and to its process group): the second stays pending and
	# blocked in a signalfd program, and LeakSanitizer's exit-time
	# stop-the-world then spins (seen under ASan with make -j2 check).
	flimit="timeout --foreground 60"
fi

wait_socket()
{
	i=0
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 200 ] || fail "$1 never appeared"
		sleep 0.05
	done
}

# ---- producer -> consumer: 1 MiB + 1 byte, an odd size, as a region
head -c 1048577 /dev/urandom >"$tmp/in"
$limit "$ex/consumer" "$tmp/sock" >"$tmp/out" 2>"$tmp/consumer.err" &
cpid=$!
bg="$cpid"
wait_socket "$tmp/sock"
$limit "$ex/producer" "$tmp/sock" "$tmp/in" 2>"$tmp/producer.err" ||
	fail "producer exited with $?"
wait "$cpid" || fail "consumer exited with $?"
bg=
cmp -s "$tmp/in" "$tmp/out" || fail "the consumer wrote other bytes than were sent"
grep -q 'message 1: sealed region of 1048577 bytes from pid [0-9]*, identity ' \
	"$tmp/consumer.err" || fail "no report from the consumer"
[ ! -e "$tmp/sock" ] || fail "the consumer left its socket file behind"
echo "PASS: producer -> consumer, $(wc -c <"$tmp/out") bytes identical"

# ---- consumer: a refused message (a write-only memfd: the mapping fails
# with EACCES) is reported, and the good one after it arrives
$limit "$ex/consumer" "$tmp/rsock" >"$tmp/rout" 2>"$tmp/refused.err" &
cpid=$!
bg="$cpid"
wait_socket "$tmp/rsock"
$limit "$peer" -t 30 "$tmp/rsock" write-only-region >"$tmp/peer.err" 2>&1 ||
	fail "the consumer did not release both regions (raw-peer exit $?)"
wait "$cpid" || fail "consumer exited with $? after a refused message"
bg=
grep -q 'message 1 refused: Permission denied' "$tmp/refused.err" ||
	fail "the consumer did not report the refused message"
[ "$(cat "$tmp/rout")" = "good region" ] || fail "the consumer wrote '$(cat "$tmp/rout")'"
echo "PASS: consumer reports a refused message and goes on"

# ---- epoll-consumer: three producers at the same time
$limit "$ex/epoll-consumer" "$tmp/esock" 3 >"$tmp/eout" 2>"$tmp/epoll.err" &
epid=$!
bg="$epid"
wait_socket "$tmp/esock"
pids=
for n in 1 2 3; do
	head -c $((n * 70000 + 1)) /dev/urandom >"$tmp/in$n"
	$limit "$ex/producer" "$tmp/esock" "$tmp/in$n" 2>"$tmp/producer$n.err" &
	pids="$pids $!"
done
bg="$epid $pids"
for p in $pids; do
	wait "$p" || fail "a producer of epoll-consumer exited with $?"
done
wait "$epid" || fail "epoll-consumer exited with $?"
bg=
got=$(sed -n 's/^message [123]: \([0-9]*\) bytes from pid [0-9]*, identity .*/\1/p' "$tmp/eout" | sort -n | tr '\n' ' ')
[ "$got" = "70001 140001 210001 " ] || fail "epoll-consumer received sizes '$got'"
echo "PASS: epoll-consumer served 3 concurrent producers"

# ---- epoll-consumer: a refused message does not drop its producer
$limit "$ex/epoll-consumer" "$tmp/rsock2" 2 >"$tmp/rout2" 2>"$tmp/epoll2.err" &
epid=$!
bg="$epid"
wait_socket "$tmp/rsock2"
$limit "$peer" -t 30 "$tmp/rsock2" write-only-region >"$tmp/peer2.err" 2>&1 ||
	fail "epoll-consumer did not release both regions (raw-peer exit $?)"
wait "$epid" || fail "epoll-consumer exited with $? after a refused message"
bg=
grep -q '^message 1: refused: Permission denied' "$tmp/rout2" &&
	grep -q '^message 2: 12 bytes from pid' "$tmp/rout2" ||
	fail "epoll-consumer: '$(cat "$tmp/rout2")'"
echo "PASS: epoll-consumer reports a refused message and goes on"

# ---- epoll-consumer: SIGINT through its signalfd ends it cleanly
$flimit "$ex/epoll-consumer" "$tmp/isock" 100 >"$tmp/iout" 2>"$tmp/int.err" &
epid=$!
bg="$epid"
wait_socket "$tmp/isock"
$limit "$ex/producer" "$tmp/isock" "$tmp/in1" 2>"$tmp/producer.err" ||
	fail "producer exited with $?"
kill -INT "$epid"
wait "$epid" || fail "epoll-consumer exited with $? on SIGINT"
bg=
grep -q 'interrupted after 1 messages' "$tmp/int.err" || fail "no SIGINT report"
[ ! -e "$tmp/isock" ] || fail "epoll-consumer left its socket file behind"
echo "PASS: epoll-consumer stops on SIGINT"
