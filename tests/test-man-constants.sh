#!/bin/sh
# SPDX-License-Identifier: MIT
# The numbers the manual gives for SSHM_* constants are the header's.
#
# Every SSHM_ name that a page in doc/man gives together with a number is
# collected: a parenthesised value after the name (".BR SSHM_EHOLES
# \" (4112)\"", "SSHM_IDENTITY_OFF (2)", ".B SSHM_META_MAX" followed by a line
# "(4096) bytes", "(1 GiB)"), "NAME = 2", "NAME is 0", and a table row whose
# cell after the name is a number.  Each number is compared with the value
# that include/sshm.h gives the name, as the C compiler computes it, so that
# expressions such as ((uint64_t)1 << 30) count.  Names the header defines
# without a plain integer value (empty, function-like, strings) are
# skipped; a name the header does not define at all is an error.
#
# Fails listing every mismatch.  Skips (77) only when no C compiler works.
# V=1 lists every number found.
set -u
top=${top_srcdir:-.}
mandir="$top/doc/man"
incdir="$top/include"
cc=${CC:-cc}
fail=0

[ -d "$mandir" ] || { echo "FAIL: no $mandir"; exit 1; }
[ -f "$incdir/sshm.h" ] || { echo "FAIL: no $incdir/sshm.h"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

printf 'int main(void) { return 0; }\n' >"$tmp/probe.c"
if ! $cc -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1; then
	echo "SKIP: no working C compiler (CC=$cc)"
	exit 77
fi

# ------------------------------------------------------------ the pages
# One line per number found: page, line, name, the number as written, its
# value in decimal.
for f in "$mandir"/*.[1-8]; do
	[ -f "$f" ] || continue
	awk -v page="${f##*/}" '
	function hexval(h,    i, c, v) {
		v = 0
		h = tolower(substr(h, 3))
		for (i = 1; i <= length(h); i++) {
			c = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	# The value of a number as written: decimal or 0x, optional KiB..TiB.
	function numval(tok,    n, u, v) {
		if (!match(tok, /0[xX][0-9a-fA-F]+|[0-9]+/))
			return ""
		n = substr(tok, RSTART, RLENGTH)
		v = n ~ /^0[xX]/ ? hexval(n) : n + 0
		if (match(tok, /[KMGT]iB/)) {
			u = substr(tok, RSTART, 1)
			v *= u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1099511627776
		}
		return sprintf("%.0f", v)
	}
	function emit(ln, name, tok) {
		sub(/^[ \t(=]*(is[ \t]+)?/, "", tok)
		while (tok ~ /[^0-9A-Za-z]$/)
			sub(/[^0-9A-Za-z]$/, "", tok)
		printf "%s\t%d\t%s\t%s\t%s\n", page, ln, name, tok, numval(tok)
	}
	# The text of a line, without requests, font escapes and quotes.
	function text(s) {
		if (s ~ /^[.\047]\\"/)
			return ""
		if (s ~ /^[.\047]/) {
			sub(/^[.\047][ \t]*[A-Za-z]+[ \t]*/, "", s)
		}
		gsub(/\\f\([A-Za-z][A-Za-z]/, "", s)
		gsub(/\\f[A-Za-z0-9]/, "", s)
		gsub(/\\\([A-Za-z][A-Za-z]/, " ", s)
		gsub(/\\-/, "-", s)
		gsub(/\\[&~]/, "", s)
		gsub(/\\ /, " ", s)
		gsub(/\\e/, "\\", s)
		gsub(/"/, "", s)
		return s
	}
	function isnum(s) {
		return s ~ /^[ \t]*(0[xX][0-9a-fA-F]+|[0-9]+)([ \t]*[KMGT]iB)?[ \t]*$/
	}
	{ raw[NR] = $0 }
	END {
		NUM = "(0[xX][0-9a-fA-F]+|[0-9]+)([ \t]*[KMGT]iB)?"
		END_OK = "([^A-Za-z0-9_.]|[.]([^0-9]|$)|$)"
		PAREN = "^[ \t]*\\([ \t]*" NUM "[ \t]*[),:;]"
		EQ = "^[ \t]*=[ \t]*" NUM END_OK
		IS = "^[ \t]+is[ \t]+" NUM END_OK
		tbl = 0
		for (i = 1; i <= NR; i++) {
			line = raw[i]
			# Tables: .TS, options (;), format (ends with .), rows.
			if (line ~ /^\.TS/) { tbl = 1; tab = "\t"; continue }
			if (line ~ /^\.TE/) { tbl = 0; continue }
			if (tbl == 1 || tbl == 2) {
				if (tbl == 1 && line ~ /;[ \t]*$/) {
					if (match(line, /tab\(.\)/))
						tab = substr(line, RSTART + 4, 1)
					tbl = 2
					continue
				}
				if (line ~ /\.[ \t]*$/)
					tbl = 3
				else
					tbl = 2
				continue
			}
			if (tbl == 3) {
				if (line ~ /^[.\047]/)
					continue
				n = split(line, cell, tab)
				for (k = 1; k < n; k++) {
					c = text(cell[k])
					if (c ~ /^[ \t]*SSHM_[A-Z0-9_]+[ \t]*$/ && isnum(text(cell[k + 1]))) {
						gsub(/[ \t]/, "", c)
						emit(i, c, text(cell[k + 1]))
					}
				}
				continue
			}
			cur = text(line)
			nxt = ""
			for (j = i + 1; j <= NR; j++) {
				if (raw[j] ~ /^[.\047]\\"/)
					continue
				nxt = text(raw[j])
				break
			}
			rest = cur
			while (match(rest, /SSHM_[A-Z0-9_]+/)) {
				name = substr(rest, RSTART, RLENGTH)
				rest = substr(rest, RSTART + RLENGTH)
				after = rest " " nxt
				if (match(after, PAREN) || match(after, EQ) || match(after, IS))
					emit(i, name, substr(after, RSTART, RLENGTH))
			}
		}
	}' "$f"
done >"$tmp/found"

if [ "${V:-0}" = 1 ]; then
	sed 's/^/found: /' "$tmp/found"
fi
if [ ! -s "$tmp/found" ]; then
	echo "FAIL: no SSHM_ constant with a number in any page of $mandir (is the extractor broken?)"
	exit 1
fi

# ------------------------------------------------------------ the header
# The preprocessor lists what the header defines; the compiler computes the
# values of those with a plain value, one program for all of them.
printf '#include <sshm.h>\n' >"$tmp/defs.c"
if ! $cc -E -dM -I"$incdir" "$tmp/defs.c" >"$tmp/defs" 2>"$tmp/defs.err"; then
	echo "FAIL: $cc -E -dM cannot read include/sshm.h:"
	sed 's/^/    /' "$tmp/defs.err"
	exit 1
fi

names=$(cut -f3 "$tmp/found" | sort -u)
: >"$tmp/wanted"
: >"$tmp/skipped"
for n in $names; do
	def=$(grep -E "^#define $n([ (]|\$)" "$tmp/defs" | head -n 1)
	body=${def#"#define $n"}
	case $def in
	"")
		grep "	$n	" "$tmp/found" | while IFS='	' read -r page ln name given val; do
			echo "FAIL: $page:$ln: $name (given as $given) is not defined in include/sshm.h"
		done
		fail=1
		;;
	"#define $n("*)
		echo "$n" >>"$tmp/skipped" ;;
	*)
		case $body in
		*[!\ ]*)
			case $body in
			*\"*) echo "$n" >>"$tmp/skipped" ;;
			*) echo "$n" >>"$tmp/wanted" ;;
			esac
			;;
		*) echo "$n" >>"$tmp/skipped" ;;
		esac
		;;
	esac
done

gen()
{
	printf '#include <stdio.h>\n#include <sshm.h>\nint main(void)\n{\n'
	for n in "$@"; do
		printf '\tprintf("%%s %%llu\\n", "%s", (unsigned long long)(%s));\n' "$n" "$n"
	done
	printf '\treturn 0;\n}\n'
}

: >"$tmp/values"
if [ -s "$tmp/wanted" ]; then
	# shellcheck disable=SC2046
	gen $(cat "$tmp/wanted") >"$tmp/values.c"
	if $cc -I"$incdir" -o "$tmp/values" "$tmp/values.c" >"$tmp/cc.err" 2>&1; then
		"$tmp/values" >"$tmp/values.txt" || { echo "FAIL: cannot run the value program"; exit 1; }
	else
		# One of them is no integer expression: find which, one by one.
		: >"$tmp/values.txt"
		while read -r n; do
			gen "$n" >"$tmp/one.c"
			if $cc -I"$incdir" -o "$tmp/one" "$tmp/one.c" >/dev/null 2>&1; then
				"$tmp/one" >>"$tmp/values.txt"
			else
				echo "$n" >>"$tmp/skipped"
			fi
		done <"$tmp/wanted"
	fi
fi

# ------------------------------------------------------------ compare
checked=0
while IFS='	' read -r page ln name given val; do
	hv=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/values.txt")
	[ -n "$hv" ] || continue
	checked=$((checked + 1))
	if [ "$hv" != "$val" ]; then
		echo "FAIL: $page:$ln: $name is given as $given; include/sshm.h defines it as $hv"
		fail=1
	fi
done <"$tmp/found"

if [ -s "$tmp/skipped" ]; then
	echo "note: no plain integer value in include/sshm.h, not compared: $(sort -u "$tmp/skipped" | tr '\n' ' ')"
fi
if [ $fail -ne 0 ]; then
	exit 1
fi
echo "PASS: $checked numbers given for $(wc -l <"$tmp/values.txt") SSHM_ constants in doc/man agree with include/sshm.h"
