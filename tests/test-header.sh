#!/bin/sh
# The public header compiles on its own as C89 -pedantic, as C11 and as C++.
set -eu
src="${top_srcdir:-.}/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <sshm.h>\nint main(void) { struct sshm_policy p; (void)p; return sshm_strerror(0) ? 0 : 1; }\n' >"$tmp/t.c"
${CC:-cc} -std=c89 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.c"
${CC:-cc} -std=c11 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.c"
echo "sshm.h compiles as C89 and C11"
# No C++ compiler is no failure of the header: the C++ check is skipped,
# and so the test is (77), with the reason.
set -- ${CXX:-c++}
if ! command -v "$1" >/dev/null 2>&1; then
	echo "SKIP: no C++ compiler (${CXX:-c++}): the header was not compiled as C++"
	exit 77
fi
cp "$tmp/t.c" "$tmp/t.cc"
${CXX:-c++} -std=c++98 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.cc"
echo "PASS: sshm.h compiles as C89, C11 and C++98"
