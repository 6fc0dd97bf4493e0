#!/bin/sh
# The public header compiles on its own as C89 -pedantic, as C11 and as C++.
set -eu
src="${top_srcdir:-.}/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <sshm.h>\nint main(void) { struct sshm_policy p; (void)p; return sshm_strerror(0) ? 0 : 1; }\n' >"$tmp/t.c"
${CC:-cc} -std=c89 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.c"
${CC:-cc} -std=c11 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cc"
${CXX:-c++} -std=c++98 -pedantic -Wall -Wextra -Werror -I"$src" -fsyntax-only "$tmp/t.cc"
echo "PASS: sshm.h compiles as C89, C11 and C++98"
