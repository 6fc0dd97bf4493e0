#!/bin/sh
# sshm-stat on real descriptors: a sealed memfd held by sshm-send, our own
# and another process's non-memfds, --same on dup()ed descriptors, --json,
# --system and the exit statuses.
set -eu
tools="${top_builddir:-.}/tools"
stat="$tools/sshm-stat"
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
	[ -s "$tmp/out" ] && { echo "--- output"; cat "$tmp/out"; }
	exit 1
}

# Runs sshm-stat ARGS..., output in $tmp/out, and checks the exit status.
expect()
{
	want=$1
	shift
	rc=0
	"$stat" "$@" >"$tmp/out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || fail "sshm-stat $* exited with $rc, not $want"
}

has()
{
	grep -q -- "$1" "$tmp/out" || fail "no '$1' in the output of sshm-stat"
}

json_ok()
{
	if command -v python3 >/dev/null 2>&1; then
		python3 -m json.tool "$tmp/out" >/dev/null || fail "invalid JSON"
	fi
}

# ---- command line
expect 0 --help
has "Usage: sshm-stat"
expect 0 --version
expect 1
expect 1 --same 0
expect 1 --system 0
expect 1 not-a-target
expect 1 --bogus
expect 3 9999
echo "PASS: command line"

# ---- kernel features
expect 0 --system
has "memfd seals *yes"
kcmp=yes
grep -q '^kcmp  *yes' "$tmp/out" || kcmp=no
expect 0 --system --json
json_ok
echo "PASS: --system (kcmp: $kcmp)"

# ---- our own descriptors that are not memfds: refused, never read
expect 0 3 3</dev/null
has "character device 1:3"
has "verdict    refused: descriptor is not a regular file"
expect 2 --check 3 3</dev/null
expect 2 --check 3 3<"$tmp"
has "directory"
echo data >"$tmp/file"
expect 2 --check 3 3<"$tmp/file"
has "file is not a memfd"
rc=0
sleep 30 | "$stat" --check 0 >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "sshm-stat on a pipe exited with $rc"
has "FIFO (pipe)"
echo "PASS: own descriptors (/dev/null, directory, file, pipe)"

# ---- another process's FIFO: reported from statx, never opened
mkfifo "$tmp/fifo"
sleep 30 <>"$tmp/fifo" &
fifo_pid=$!
bg="$fifo_pid"
expect 2 --check "$fifo_pid:0"
has "never opened"
has "FIFO (pipe)"
echo "PASS: another process's FIFO"

# ---- a sealed memfd held by sshm-send, waiting for a consumer
head -c 300000 /dev/urandom >"$tmp/payload"
"$tools/sshm-send" --listen "$tmp/sock" "$tmp/payload" &
send_pid=$!
bg="$bg $send_pid"
i=0
while [ ! -S "$tmp/sock" ]; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "sshm-send never listened"
	sleep 0.05
done
memfd=
for f in /proc/"$send_pid"/fd/*; do
	case $(readlink "$f" 2>/dev/null) in
	/memfd:*) memfd=${f##*/}; break ;;
	esac
done
[ -n "$memfd" ] || fail "no memfd in sshm-send's descriptors"
expect 0 --check "$send_pid:$memfd"
has "memfd (shmem)"
has "seals      shrink,grow,write,"
has "size       300000 bytes"
has "resident   \([0-9]*\) of \1 pages"
has "verdict    accepted (sshm_fd_verify)"
expect 2 --check --max-size 4096 "$send_pid:$memfd"
has "exceeds the allowed maximum"
expect 0 --json "$send_pid:$memfd" 3</dev/null
json_ok
if [ "$kcmp" = yes ]; then
	expect 0 --same "$send_pid:$memfd" "$send_pid:$memfd"
	has "the same open file (kcmp)"
fi
"$tools/sshm-recv" --connect --quiet "$tmp/sock" -o "$tmp/received" ||
	fail "sshm-recv could not take the region"
wait "$send_pid" || fail "sshm-send exited with $?"
bg="$fifo_pid"
cmp -s "$tmp/payload" "$tmp/received" || fail "the region's bytes differ"
echo "PASS: a sealed memfd held by another process"

# ---- --same: dup()ed descriptors, and two opens of one inode
if [ "$kcmp" = yes ]; then
	expect 0 --same 3 4 3</dev/null 4<&3
	has "the same open file (kcmp)"
	expect 0 --same 3 4 3</dev/null 4</dev/null
	has "different open files of the same inode"
	expect 0 --same --json 3 4 3</dev/null 4<&3
	has '"result": "same-open-file"'
	json_ok
fi
expect 0 --same 3 4 3</dev/null 4<"$tmp/file"
has "different files"
echo "PASS: --same"

# ---- a memfd name cannot pose as a line of smaps
# The producer names its memfd, and smaps prints that name in the header
# line of our mapping.  Read through a 256-byte buffer, the rest of a long
# header line was taken for a line of its own: a sealed shmem memfd named
# "xxx...Shared_Hugetlb: 4096 kB", the field at byte 255, was reported with
# "hugetlb 4096 kB".  (Needs python3 for a memfd of a chosen name.)
if command -v python3 >/dev/null 2>&1; then
	rc=0
	python3 - "$stat" >"$tmp/out" 2>&1 <<'PY' || rc=$?
import fcntl, mmap, os, sys
# Where a memfd's name starts in a maps line (the kernel pads the fields
# before the path to a fixed column), from a mapping of our own.
probe = os.memfd_create("probe")
os.ftruncate(probe, 4096)
m = mmap.mmap(probe, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
with open("/proc/self/maps") as f:
    col = [l.index("/memfd:probe") for l in f if "/memfd:probe" in l][0]
m.close()
os.close(probe)
name = "x" * (255 - col - len("/memfd:")) + "Shared_Hugetlb: 4096 kB"
fd = os.memfd_create(name, os.MFD_ALLOW_SEALING)
os.write(fd, b"y" * 4096)
fcntl.fcntl(fd, 1033, 0xf)  # F_ADD_SEALS: seal, shrink, grow, write
os.dup2(fd, 3)
os.execv(sys.argv[1], [sys.argv[1], "3"])
PY
	[ "$rc" -eq 0 ] || fail "sshm-stat on a memfd with a long name exited with $rc"
	has "verdict    accepted"
	has "hugetlb 0 kB"
	echo "PASS: a memfd's name is never read as a line of smaps"
fi

# ---- --same: a malformed target is a usage error, whatever the other one
# Both targets are parsed before either is looked at, as in the inspect
# mode.  A was stat()ed before B was parsed: '--same 9999 not-a-target'
# exited 3 (9999: bad descriptor) instead of 1.
expect 1 --same 9999 not-a-target
has "'not-a-target' is not FD or PID:FD"
echo "PASS: --same reports a usage error before a system error"
