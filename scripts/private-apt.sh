# SPDX-License-Identifier: GPL-2.0
# scripts/private-apt.sh --- sourced: private_apt SUITE KIND sets apt_opts,
# the options that make apt-get and apt-cache use their own configuration
# under the cache (its own sources.list with one KIND line, "deb" or
# "deb-src", for Debian's SUITE; no sources.list.d, no preferences; its
# own state, lists and archive directories), so the system's apt sources,
# lists and caches are never read or written.  The mirror is the one the
# system's sources name for SUITE, else the one they name for this
# system's own suite (one archive holds every suite), or
# E2ATOMIC_DEBIAN_MIRROR.  Downloads are checked against the signed
# indexes (Debian's archive keyring).  Needs $cache (the cache root).
private_apt() {
	local suite=$1 kind=$2 mirror apt_dir here
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	here=$(dirname "${BASH_SOURCE[0]}")
	mirror=$("$here/debian-mirror" "$suite" 2>/dev/null) ||
		mirror=$("$here/debian-mirror") || return 1
	apt_dir=$cache/apt/$suite-$kind
	mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" \
		 "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
	cat >"$apt_dir/etc/sources.list" <<EOT
# written by scripts/private-apt.sh: $kind of $suite only
$kind [signed-by=$keyring] $mirror $suite main
EOT
	apt_opts=(
		-o Dir::Etc::SourceList="$apt_dir/etc/sources.list"
		-o Dir::Etc::SourceParts="$apt_dir/etc/sources.list.d"
		-o Dir::Etc::Preferences="$apt_dir/etc/preferences"
		-o Dir::Etc::PreferencesParts="$apt_dir/etc/preferences.d"
		-o Dir::State="$apt_dir/state"
		-o Dir::State::Lists="$apt_dir/state/lists"
		-o Dir::Cache="$apt_dir/cache"
		-o Dir::Cache::Archives="$apt_dir/cache/archives"
		-o Dir::Cache::pkgcache=""
		-o Dir::Cache::srcpkgcache=""
		-o APT::Sandbox::User=root
	)
}
