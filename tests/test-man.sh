#!/bin/sh
# The manual: every page in doc/man renders without a single warning (with
# mandoc -Tlint and with groff -ww, whichever are installed), every alias
# page is one ".so man3/<page>.3" line naming a real page that documents the
# symbol, every symbol exported in lib/libsshm.sym has doc/man/<symbol>.3,
# and every page is listed in Makefile.am so that it is installed and
# distributed.  Skips (77) only when neither renderer is installed.
set -u
top=${top_srcdir:-.}
mandir="$top/doc/man"
sym="$top/lib/libsshm.sym"
fail=0

err()
{
	echo "FAIL: $*"
	fail=1
}

[ -d "$mandir" ] || { echo "FAIL: no $mandir"; exit 1; }
[ -f "$sym" ] || { echo "FAIL: no $sym"; exit 1; }

have_mandoc=no have_groff=no
command -v mandoc >/dev/null 2>&1 && have_mandoc=yes
command -v groff >/dev/null 2>&1 && have_groff=yes
if [ $have_mandoc = no ] && [ $have_groff = no ]; then
	echo "SKIP: neither mandoc nor groff is installed (apt-get install groff)"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Lay the pages out as they are installed (man1/, man3/, man7/) and render
# from there, so that ".so man3/x.3" resolves as it does for man(1).
pages=0
for f in "$mandir"/*; do
	[ -f "$f" ] || continue
	name=${f##*/}
	sec=${name##*.}
	case $sec in
	[1-8]) ;;
	*) err "$name: not a manual page name (NAME.SECTION)"; continue ;;
	esac
	mkdir -p "$tmp/man$sec"
	cp "$f" "$tmp/man$sec/$name"
	pages=$((pages + 1))
done

# The real page an alias points to, or the page itself.
resolve()
{
	first=$(sed -n '1p' "$1")
	case $first in
	".so "*) echo "$mandir/${first#.so man?/}" ;;
	*) echo "$1" ;;
	esac
}

for f in "$mandir"/*.[1-8]; do
	[ -f "$f" ] || continue
	name=${f##*/}
	sec=${name##*.}
	if LC_ALL=C grep -q '[^ -~	]' "$f"; then
		err "$name: non-ASCII bytes (use roff escapes such as \\(em)"
	fi
	first=$(sed -n '1p' "$f")
	case $first in
	".so "*)
		[ "$(wc -l <"$f")" -eq 1 ] || err "$name: an alias page must be one .so line"
		target=${first#.so }
		case $target in
		man[1-8]/*) ;;
		*) err "$name: .so target '$target' is not manN/page.N" ;;
		esac
		[ -f "$mandir/${target#man?/}" ] || err "$name: .so target '$target' does not exist"
		case $(sed -n '1p' "$mandir/${target#man?/}" 2>/dev/null) in
		".so "*) err "$name: .so target '$target' is an alias itself" ;;
		esac
		;;
	*)
		grep -q '^\.TH ' "$f" || err "$name: no .TH line"
		for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
			grep -q "^\\.SH \"*$s\"*\$" "$f" || err "$name: no $s section"
		done
		if [ "$sec" = 3 ]; then
			for s in "RETURN VALUE" ERRORS; do
				grep -q "^\\.SH \"*$s\"*\$" "$f" || err "$name: no $s section"
			done
		fi
		;;
	esac

	if [ $have_mandoc = yes ]; then
		out=$(cd "$tmp" && mandoc -Tlint -W warning "man$sec/$name" 2>&1)
		rc=$?
		# mandoc warns about .so itself ("better use ln(1)"); an alias
		# page is .so by design, so that one message is expected.  The
		# page it includes is still linted, here and on its own.
		case $first in
		".so "*)
			out=$(printf '%s\n' "$out" | grep -v ': WARNING: \.so is fragile, better use ln(1): so ')
			[ -n "$out" ] || rc=0
			;;
		esac
		if [ -n "$out" ] || [ $rc -ne 0 ]; then
			err "$name: mandoc -Tlint -W warning (exit $rc):"
			printf '%s\n' "$out" | sed 's/^/    /'
		fi
	fi
	if [ $have_groff = yes ]; then
		out=$(cd "$tmp" && LC_ALL=C groff -man -ww -z -Tutf8 "man$sec/$name" 2>&1)
		rc=$?
		if [ -n "$out" ] || [ $rc -ne 0 ]; then
			err "$name: groff -man -ww (exit $rc):"
			printf '%s\n' "$out" | sed 's/^/    /'
		fi
	fi
done

# Every exported symbol has its page, and the page's NAME line names it
# (so that apropos and whatis find it).
symbols=$(sed -n 's/^[[:space:]]*\(sshm_[a-z0-9_]*\);.*/\1/p' "$sym" | sort -u)
[ -n "$symbols" ] || err "no symbols found in $sym"
for s in $symbols; do
	page="$mandir/$s.3"
	if [ ! -f "$page" ]; then
		err "$s is exported but has no doc/man/$s.3"
		continue
	fi
	real=$(resolve "$page")
	[ -f "$real" ] || continue
	names=$(sed -n '/^\.SH "*NAME"*$/{n;p;q;}' "$real")
	case "$names" in
	"$s "* | "$s,"* | *" $s,"* | *" $s "*) ;;
	*) err "$s: the NAME line of ${real##*/} does not name it: $names" ;;
	esac
done

# Every page is installed and distributed: listed in Makefile.am.
if [ -f "$top/Makefile.am" ]; then
	for f in "$mandir"/*.[1-8]; do
		[ -f "$f" ] || continue
		grep -q "doc/man/${f##*/}\\b" "$top/Makefile.am" ||
			err "${f##*/} is not listed in Makefile.am (dist_man_MANS)"
	done
fi

renderers=
[ $have_mandoc = yes ] && renderers="mandoc"
[ $have_groff = yes ] && renderers="${renderers:+$renderers and }groff"
if [ $fail -ne 0 ]; then
	exit 1
fi
echo "PASS: $pages pages render without warnings ($renderers), $(printf '%s\n' "$symbols" | wc -l) exported symbols documented"
