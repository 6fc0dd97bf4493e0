#!/bin/sh
# Every dynamic symbol libsshm exports starts with sshm_, and the exported
# set is exactly the list in lib/libsshm.sym.
set -eu
lib="${top_builddir:-.}/lib/.libs/libsshm.so"
sym="${top_srcdir:-.}/lib/libsshm.sym"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
# Shared only (configure refuses --enable-static): an archive would export
# the internal names of every file of lib/.
a="${top_builddir:-.}/lib/.libs/libsshm.a"
[ -e "$a" ] && { echo "FAIL: $a was built: it exports internal names"; exit 1; }
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" { print $3 }' | sed 's/@.*//' | sort -u)
listed=$(sed -n 's/^[[:space:]]*\(sshm_[a-z0-9_]*\);.*/\1/p' "$sym" | sort -u)
bad=$(printf '%s\n' "$exported" | grep -v '^sshm_' || true)
if [ -n "$bad" ]; then
	echo "FAIL: exported without the sshm_ prefix:"; printf '  %s\n' $bad; exit 1
fi
if [ "$exported" != "$listed" ]; then
	echo "FAIL: exports differ from $sym:"
	tmp=$(mktemp -d)
	printf '%s\n' "$listed" >"$tmp/listed"
	printf '%s\n' "$exported" >"$tmp/exported"
	diff -u "$tmp/listed" "$tmp/exported" || true
	rm -rf "$tmp"
	exit 1
fi
echo "PASS: $(printf '%s\n' "$exported" | wc -l) symbols, all sshm_*, all in libsshm.sym"
