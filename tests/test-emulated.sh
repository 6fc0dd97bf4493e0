#!/bin/sh
# The suites again on emulated older kernels: tests/kernel-shim.so, preloaded,
# makes this kernel behave as kernels that lack a feature or behave the old
# way (see the list in tests/kernel-shim.c), so that every fallback path runs
# here even where no kernel of the matrix (.ci/kernels) has it.  Each
# emulation runs the suites that reach its fallback; every Check summary is
# printed, so the results count test by test.
set -u
b=${top_builddir:-.}
shim="$b/tests/.libs/kernel-shim.so"
[ -f "$shim" ] || { echo "SKIP: $shim not built (static-only build)"; exit 77; }
# The sanitizers' runtime wants to be first in the library list; the shim
# interposes nothing they intercept in a way that matters here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

# Every suite of the threat matrix (tests/test-hostile-*).
hostile="test-hostile-fds test-hostile-seals test-hostile-resources test-hostile-framing
	test-hostile-identity"

fail=0
run()
{
	emulation=$1; shift
	for t in "$@"; do
		echo "=== SSHM_SHIM=$emulation $t"
		SSHM_SHIM=$emulation "$b/libtool" --mode=execute \
			env LD_PRELOAD="$shim" "$b/tests/$t"
		rc=$?
		case $rc in
		0 | 77) ;;
		*) echo "FAIL: $t under $emulation (exit $rc)"; fail=1 ;;
		esac
	done
}

# Linux 6.5 to ~6.15: SCM_PIDFD of a reaped sender is a negative errno.
run pidfd-errno test-identity test-peer $hostile
# Linux < 6.5: no SO_PASSPIDFD; identity looks the pid up.
run no-passpidfd test-identity test-peer $hostile
# Linux < 6.7 (6.1 < 6.1.149, 6.12 < 6.12.9): no read-only MAP_SHARED of a
# write-sealed memfd opened O_RDWR; views map a read-only reopen instead,
# with every guarantee of a shared read-only mapping.
run mmap-eperm test-view test-verify $hostile
# ... and without /proc either: views are MAP_PRIVATE, and the tests of
# what only a shared read-only mapping guarantees, or of what needs /proc,
# skip with their reason; the rest must pass.
run mmap-eperm,no-proc test-view test-verify test-refusal $hostile
# Linux < 6.3: no MFD_NOEXEC_SEAL (and row 21's fallback test runs).
run no-noexec test-region test-verify test-channel test-listener test-hostile-identity
# Not a kernel's age but a setting: send_bytes' paths under each shmem THP
# mode, whatever this machine's is.
run thp-never test-copy
run thp-within_size test-copy
exit $fail
