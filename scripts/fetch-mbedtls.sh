#!/bin/sh
# fetch-mbedtls.sh [CACHE]: the Debian source package of Mbed TLS (2.28 in Debian 12) for the QEMU
# reference port (docs/port-mps2.md), fetched once with `apt-get source --download-only` into CACHE
# (default var/cache/debian-src beside this tree; `make clean` keeps it) and reused from there, so
# that a second build needs no network. Prints the path of the cached .dsc on stdout.
#
# Debian ships no arm-none-eabi build of any crypto library, but its source packages build for
# one. apt-get source needs a deb-src entry: when none is configured, this script adds one
# (idempotently: /etc/apt/sources.list.d/factory-station-src.sources, made from the machine's own
# Debian 'deb' entries with only the type changed, so the same mirror and keyring are used) and
# updates the package lists. apt checks the downloaded files against the signed Sources index;
# dpkg-source -x checks them against the .dsc again when the port is built.
# Exit: 0 (path printed), 1 (cannot fetch: not root, no network, no such package; says why).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-$here/../var/cache/debian-src}
pkg=mbedtls
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The cache is complete when a .dsc and every file it lists are there.
cached_dsc() {
	for d in "$cache"/${pkg}_*.dsc; do
		[ -f "$d" ] || continue
		ok=1
		for f in $(sed -n '/^Files:/,/^[^ ]/{/^ /p}' "$d" | awk '{print $3}'); do
			[ -f "$cache/$f" ] || ok=0
		done
		[ "$ok" = 1 ] && { echo "$d"; return 0; }
	done
	return 1
}

if dsc=$(cached_dsc); then
	echo "$dsc"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "fetch-mbedtls: no apt-get here; put the Debian source package ${pkg}_*.dsc and its files in $cache" >&2
	exit 1
fi

# deb-src entries for this release, made from the configured Debian 'deb' entries.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
srcfile=/etc/apt/sources.list.d/factory-station-src.sources
have_src() {
	grep -rqsE '^[[:space:]]*deb-src[[:space:]]|^Types:.*deb-src' /etc/apt/sources.list \
		/etc/apt/sources.list.d/ 2>/dev/null
}
if ! have_src; then
	if [ "$(id -u)" != 0 ]; then
		echo "fetch-mbedtls: apt has no deb-src entry; run this script once as root (it adds $srcfile)" >&2
		exit 1
	fi
	[ -n "$codename" ] || { echo "fetch-mbedtls: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
	tmp=$srcfile.tmp
	: >"$tmp"
	# deb822 files: every enabled stanza of type deb whose suites are this release's
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$srcfile" ] || continue
		awk -v cn="$codename" '
		function flush() {
			if (n > 0 && isdeb && rel && !off) { for (i = 1; i <= n; i++) print st[i]; print "" }
			n = 0; isdeb = 0; rel = 0; off = 0
		}
		/^[[:space:]]*$/ { flush(); next }
		/^#/ { next }
		/^Types:/ { if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) isdeb = 1; st[++n] = "Types: deb-src"; next }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == cn || $i == cn "-updates" || $i == cn "-security") rel = 1 }
		/^Enabled:[[:space:]]*no/ { off = 1 }
		{ st[++n] = $0 }
		END { flush() }' "$f" >>"$tmp"
	done
	# one-line files: deb lines of this release, with the type changed
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v cn="$codename" '$1 == "deb" {
			for (i = 2; i <= NF; i++) if ($i == cn || $i == cn "-updates" || $i == cn "-security") {
				sub(/^deb/, "deb-src"); print; next } }' "$f" >>"$srcfile.list.tmp"
	done
	if [ -s "$tmp" ]; then mv "$tmp" "$srcfile"; else rm -f "$tmp"; fi
	if [ -s "$srcfile.list.tmp" ]; then
		mv "$srcfile.list.tmp" "${srcfile%.sources}.list"
	else
		rm -f "$srcfile.list.tmp"
	fi
	have_src || { echo "fetch-mbedtls: found no Debian $codename 'deb' entry to mirror as deb-src" >&2; exit 1; }
	echo "fetch-mbedtls: added deb-src entries ($srcfile); updating the package lists" >&2
	apt-get update -qq >&2 || { echo "fetch-mbedtls: apt-get update failed" >&2; exit 1; }
elif ! apt-cache showsrc "$pkg" >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] && apt-get update -qq >&2 || true
fi

work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# unsandboxed as root: apt's _apt user may not write into the cache; the files are checked all
# the same against the signed index
(cd "$work" && apt-get source -qq --download-only -o APT::Sandbox::User=root "$pkg" >&2) || {
	echo "fetch-mbedtls: apt-get source $pkg failed (network, or no deb-src entry for it)" >&2
	exit 1
}
mv "$work"/* "$cache"/
dsc=$(cached_dsc) || { echo "fetch-mbedtls: the download did not give a complete ${pkg} source package" >&2; exit 1; }
echo "fetch-mbedtls: cached $(basename "$dsc") and its files in $cache" >&2
echo "$dsc"
