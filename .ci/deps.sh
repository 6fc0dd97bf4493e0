# Sourced by .ci/demo and .ci/test: installs, from Debian's packages, what the
# build and the tests need and the machine lacks.  Nothing is downloaded by
# hand.  $1.. : extra packages.
sshm_install_deps()
{
	local pkgs=(autoconf automake libtool pkg-config check make gcc g++ "$@")
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null || {
		echo "error: could not install ${missing[*]}" >&2
		return 1
	}
}

# Generates configure when the tree comes straight from git.
sshm_bootstrap()
{
	[ -x "$1/configure" ] && [ "$1/configure" -nt "$1/configure.ac" ] && return 0
	(cd "$1" && autoreconf -fi >/dev/null 2>&1) || (cd "$1" && autoreconf -fi)
}
