#!/bin/sh
# The code is formatted as .clang-format says: every C file of lib/, tools/,
# tests/ and doc/examples/ comes out of clang-format unchanged.  Formatting
# differs between clang-format versions: the tree follows version 14
# (Debian 12's); another version, or none, is a skip with the reason.
set -u
top=${top_srcdir:-.}
command -v clang-format >/dev/null 2>&1 ||
	{ echo "SKIP: clang-format is not installed (apt-get install clang-format)"; exit 77; }
v=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
[ "$v" = 14 ] ||
	{ echo "SKIP: clang-format ${v:-?}: the tree is formatted with version 14"; exit 77; }
files=$(cd "$top" && find lib tools tests doc/examples -name '*.[ch]' | sort)
fail=0
for f in $files; do
	if ! (cd "$top" && clang-format --dry-run -Werror "$f" >/dev/null 2>&1); then
		echo "FAIL: $f is not formatted (clang-format -i $f)"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "PASS: $(echo "$files" | wc -l) files as .clang-format says"
exit $fail
