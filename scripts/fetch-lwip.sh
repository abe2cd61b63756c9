#!/usr/bin/env bash
# Fetch Debian's lwip source package into build/ through a private apt
# configuration. The deb-src entries are derived from the system's own apt
# sources (Debian archive entries only); the system's apt configuration is
# read, never changed.
set -euo pipefail

out=${1:?usage: fetch-lwip.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
aptdir="$out/apt"
mkdir -p "$aptdir/etc/sources.list.d" "$aptdir/etc/preferences.d" \
	"$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" "$out/src"
: >"$aptdir/etc/sources.list"
srcfile="$aptdir/etc/sources.list.d/vgate-src.sources"
: >"$srcfile"

is_debian_uri() {
	case "$1" in
	*/debian | */debian/ | */debian-security | */debian-security/) return 0 ;;
	*) return 1 ;;
	esac
}

# One-line style: /etc/apt/sources.list and *.list
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -r "$f" ] || continue
	while read -r type rest; do
		[ "$type" = deb ] || continue
		opts=""
		if [[ $rest == \[* ]]; then
			opts=${rest%%]*}
			opts=${opts#[}
			rest=${rest#*] }
		fi
		read -r uri suite comps <<<"$rest"
		is_debian_uri "$uri" || continue
		signed=$(sed -n 's/.*signed-by=\([^ ]*\).*/\1/p' <<<"$opts")
		{
			echo "Types: deb-src"
			echo "URIs: $uri"
			echo "Suites: $suite"
			echo "Components: $comps"
			[ -n "$signed" ] && echo "Signed-By: $signed"
			echo
		} >>"$srcfile"
	done <"$f"
done

# deb822 style: *.sources; keep stanzas whose Types include deb and whose
# URIs are a Debian archive, rewritten to deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -r "$f" ] || continue
	awk '
	function flush() {
		if (types ~ /(^| )deb( |$)/ && uris ~ /\/debian(-security)?\/?( |$)/ && enabled != "no") {
			print "Types: deb-src"; print "URIs: " uris; print "Suites: " suites
			print "Components: " comps
			if (signed != "") print "Signed-By: " signed
			print ""
		}
		types = uris = suites = comps = signed = enabled = ""
	}
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0; next }
	/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0; next }
	/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0; next }
	/^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0; next }
	/^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0; next }
	/^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = $0; next }
	END { flush() }
	' "$f" >>"$srcfile"
done

if [ ! -s "$srcfile" ]; then
	echo "fetch-lwip: no Debian archive entry found in the system's apt sources" >&2
	exit 1
fi

opts=(-o "Dir::Etc::SourceList=$aptdir/etc/sources.list"
	-o "Dir::Etc::SourceParts=$aptdir/etc/sources.list.d"
	-o "Dir::Etc::PreferencesParts=$aptdir/etc/preferences.d"
	-o "Dir::State=$aptdir/state" -o "Dir::Cache=$aptdir/cache"
	-o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -q)
apt-get "${opts[@]}" update >"$aptdir/update.log" 2>&1 || {
	cat "$aptdir/update.log" >&2
	exit 1
}
rm -rf "$out/src"
mkdir -p "$out/src"
(cd "$out/src" && apt-get "${opts[@]}" source lwip) >"$aptdir/source.log" 2>&1 || {
	cat "$aptdir/source.log" >&2
	exit 1
}
dir=$(find "$out/src" -maxdepth 1 -type d -name 'lwip-*' | head -n 1)
if [ -z "$dir" ] || [ ! -f "$dir/src/core/tcp.c" ]; then
	echo "fetch-lwip: unpacked source not found under $out/src" >&2
	exit 1
fi
ln -sfn "$(basename "$dir")" "$out/src/lwip"
echo "fetch-lwip: $(basename "$dir") unpacked in $out/src"
