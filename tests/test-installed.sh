#!/bin/sh
# The installed library as a user meets it.  From a configured build
# directory, takes the distributed sources (make distdir), configures them
# with --prefix into a temporary prefix in a build directory of their own,
# installs, then compiles the doc/examples/ programs with nothing but what
# `pkg-config --cflags --libs sshm` says for that prefix (the event-loop
# consumers with their loop's pkg-config module added, each when its .pc
# is installed), and runs producer -> consumer against the installed
# libsshm.
#
#   tests/test-installed.sh [BUILDDIR]     (default: the current directory)
#
# Not part of `make check` (it configures and builds everything again):
# CI calls it.  Exit status 0 pass, 1 fail, 77 skip (no pkg-config).
set -eu
build=$(cd "${1:-${top_builddir:-.}}" && pwd)
[ -f "$build/Makefile" ] || { echo "FAIL: $build is not a configured build directory"; exit 1; }
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
cc=${CC:-cc}
jobs=$(nproc 2>/dev/null || echo 2)

tmp=$(mktemp -d)
cpid=
cleanup()
{
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail()
{
	echo "FAIL: $*"
	for f in "$tmp"/*.log "$tmp"/*.err; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done
	exit 1
}

# A tree already configured in place refuses a second, out-of-tree
# configure: start from the distributed sources instead.
src="$tmp/src"
prefix="$tmp/prefix"
make -C "$build" -s distdir distdir="$src" >"$tmp/distdir.log" 2>&1 ||
	fail "make distdir in $build"
mkdir "$tmp/build"
(
	cd "$tmp/build" &&
	"$src/configure" --quiet --prefix="$prefix" --disable-tests &&
	make -s -j"$jobs" &&
	make -s install
) >"$tmp/install.log" 2>&1 || fail "configure, make, make install"
echo "PASS: installed into a temporary prefix"

# Only what pkg-config says: no -I or -L into the source or build tree.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs sshm) || fail "pkg-config does not know sshm"
case $flags in
*"$prefix"*) ;;
*) fail "pkg-config flags '$flags' do not point into $prefix" ;;
esac
for ex in producer consumer epoll-consumer nonblock-producer; do
	# shellcheck disable=SC2086 # $flags is a list of words
	"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/$ex" \
		"$src/doc/examples/$ex.c" $flags 2>"$tmp/$ex.err" ||
		fail "$ex does not compile against the installed sshm"
done
echo "PASS: the examples compile with pkg-config --cflags --libs sshm alone"

# The event-loop consumers, as their comments say to build them.
for pair in glib:glib-2.0 sd-event:libsystemd uv:libuv; do
	ex=${pair%%:*}-consumer
	pc=${pair#*:}
	if ! pkg-config --exists "$pc"; then
		echo "SKIP: $ex: no $pc.pc installed"
		continue
	fi
	lflags=$(pkg-config --cflags --libs sshm "$pc") || fail "pkg-config sshm $pc"
	# shellcheck disable=SC2086 # $lflags is a list of words
	"$cc" -std=c11 -Wall -Wextra -Werror -pthread -o "$tmp/$ex" \
		"$src/doc/examples/$ex.c" $lflags 2>"$tmp/$ex.err" ||
		fail "$ex does not compile against the installed sshm and $pc"
	echo "PASS: $ex compiles with pkg-config --cflags --libs sshm $pc"
done

export LD_LIBRARY_PATH="$prefix/lib"
if command -v ldd >/dev/null 2>&1; then
	ldd "$tmp/consumer" | grep -q "$prefix/lib/libsshm" ||
		fail "the consumer does not load libsshm from $prefix/lib"
fi
head -c 3000001 /dev/urandom >"$tmp/in"
"$tmp/consumer" "$tmp/sock" >"$tmp/out" 2>"$tmp/consumer.err" &
cpid=$!
i=0
while [ ! -S "$tmp/sock" ]; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "the consumer never listened"
	sleep 0.05
done
"$tmp/producer" "$tmp/sock" "$tmp/in" 2>"$tmp/producer.err" || fail "producer exited with $?"
wait "$cpid" || fail "consumer exited with $?"
cpid=
cmp -s "$tmp/in" "$tmp/out" || fail "the consumer wrote other bytes than were sent"
echo "PASS: producer -> consumer against the installed libsshm"
