# SPDX-License-Identifier: GPL-2.0
# tests/debian/lib.sh --- sourced by the booted-Debian runners
# (tests/debian/run, tests/debian/run-mariadb, bench/run-mariadb-bench):
# what they need installed, the system image, a work directory shared
# with the guest, booting a scenario under qemu (TCG) and judging its
# output.  The caller sets $top (the source tree, its working directory),
# $stock (empty, or 1 for the distribution's e2fsprogs) and $keep, and
# $scenarios (where the scenario folders are: NAME/name, NAME/expect).
debian=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=build/e2fsprogs/build

# deb_deps: qemu, debootstrap, and our tools on the host.
deb_deps() {
	for p in qemu-system-x86 debootstrap; do
		dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "ok installed" ||
			{ apt-get update -qq >&2
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $p >&2; }
	done
	[ -x $B/misc/mke2fs ] && [ -x tests/progs/atomic-tool ] ||
		{ bash scripts/install-deps >&2 && bash scripts/build >&2; }
}

# step NAME COMMAND...: run a build step, print and note its wall time;
# its last line of output (a path) is left in $last.
times=()
step() {
	local t0=$SECONDS name=$1
	shift
	last=$("$@" | tail -n 1)
	[ -n "$last" ] || { echo "check-debian: $name failed" >&2; exit 1; }
	times+=("$name|$((SECONDS - t0)) s")
}

# deb_system [LIST...]: the system image in $sys (tests/debian/mksystem),
# from the packages and a debootstrap root with the package LISTs added
# (tests/debian/mkroot); E2ATOMIC_SYSTEM=DIR uses that one instead.
deb_system() {
	if [ -n "${E2ATOMIC_SYSTEM:-}" ]; then
		sys=$E2ATOMIC_SYSTEM
	else
		if [ -n "$stock" ]; then
			# The distribution's packages of the same names, in a
			# cached folder.
			edebs=${E2ATOMIC_CACHE:-/var/cache/e2fsprogs-atomic}/debian/stock-debs
			mkdir -p "$edebs"
			rm -f "$edebs"/*.deb
			mapfile -t names < <(grep -v '^#' "$debian/replaced")
			(cd "$edebs" && apt-get download -q \
				-o APT::Sandbox::User=root "${names[@]}" > /dev/null)
		else
			step "e2fsprogs packages (scripts/build-deb)" scripts/build-deb
			edebs=$last
		fi
		step "kernel package (kernel/build --deb)" kernel/build --deb
		kdebs=$last
		step "debootstrap root (tests/debian/mkroot)" "$debian/mkroot" "$@"
		base=$last
		step "system image (tests/debian/mksystem)" \
			"$debian/mksystem" "$base" "$kdebs" "$edebs"
		sys=$last
	fi
	# The initramfs must hold the e2fsck the packages installed (e2fsprogs'
	# postinst updates it after the kernel package made it with the
	# distribution's).
	grep -q '^initramfs e2fsck: the installed one' "$sys/versions" || {
		echo "check-debian: the initramfs does not hold the installed e2fsck" \
		     "($sys/versions)" >&2
		exit 1
	}
}

# deb_workdir: $work (removed at exit unless $keep), with $share, the
# folder the guest mounts (out/ for its results), and a copy of the root
# filesystem.  The caller fills $share/scenarios.
deb_workdir() {
	work=$(mktemp -d /var/tmp/e2atomic-debian.XXXXXX)
	[ -n "$keep" ] && echo "check-debian: work directory $work" >&2
	trap deb_cleanup EXIT
	share=$work/share
	mkdir -p "$share/out" "$share/scenarios"
	cp --sparse=always "$sys/root.img" "$work/root.img"
}
deb_cleanup() {
	[ -n "${qpid:-}" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$keep" ] || rm -rf "$work"
}

khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
# boot SCENARIO [kernel arguments]: start qemu on $work's disks (vda the
# root, vdb data.img, vdc plain.img) with the guest runner told to run
# SCENARIO; VM_MEM: its memory in MiB (default 2048).
boot() {
	local s=$1
	shift
	qemu-system-x86_64 -accel tcg -m "${VM_MEM:-2048}" -smp 1 -display none \
		-no-reboot -net none -serial "file:$work/console-$s.log" \
		-kernel "$sys/vmlinuz" -initrd "$sys/initrd.img" \
		-append "root=/dev/vda ro console=ttyS0 panic=-1 \
			tsc=reliable ${khz:+tsc_early_khz=$khz} e2atomic.scenario=$s $*" \
		-drive "file=$work/root.img,format=raw,if=virtio" \
		-drive "file=$work/data.img,format=raw,if=virtio" \
		-drive "file=$work/plain.img,format=raw,if=virtio" \
		-virtfs "local,path=$share,mount_tag=host,security_model=none,id=host" \
		> "$work/qemu-$s.log" 2>&1 &
	qpid=$!
}
wait_boot() {	# SCENARIO TIMEOUT: wait for qemu to power off
	local s=$1 t=$2
	while kill -0 "$qpid" 2>/dev/null && [ "$t" -gt 0 ]; do
		sleep 1; t=$((t - 1))
	done
	if kill -0 "$qpid" 2>/dev/null; then
		kill -9 "$qpid"; wait "$qpid" 2>/dev/null || true
		echo "timeout" > "$share/out/$s.timeout"
	fi
	wait "$qpid" 2>/dev/null || true
	qpid=""
}
passed=0 failed=0
verdict() {	# SCENARIO: compare and report
	local s=$1 result=ok name bad
	name=$(head -n 1 "$scenarios/$s/name")
	bad=$(tr -d '\r' < "$work/console-$s.log" | cat - "$share/out/$s.dmesg" 2>/dev/null |
		grep -E 'WARNING:|BUG:|Call Trace|Kernel panic' | head -n 3 || true)
	grep -v '^info: ' "$share/out/$s.out" 2>/dev/null > "$work/$s.out" || true
	if [ -e "$share/out/$s.timeout" ]; then
		result="failed (the boot did not end in time; see $work/console-$s.log)"
	elif [ ! -e "$share/out/$s.state" ]; then
		result="failed (the runner did not start; see $work/console-$s.log)"
	elif [ "$(head -n 1 "$share/out/$s.state")" != running ]; then
		result="failed (system $(tr '\n' ' ' < "$share/out/$s.state"))"
	elif [ -n "$bad" ]; then
		result="failed (kernel log: $bad)"
	elif ! diff -u "$scenarios/$s/expect" "$work/$s.out" > "$work/$s.diff"; then
		result="failed (output differs)"
	fi
	echo "$s: $name: $result"
	if [ "$result" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		sed 's/^/    /' "$work/$s.diff" 2>/dev/null || true
		[ -s "$work/$s.diff" ] || tail -n 30 "$work/console-$s.log" | sed 's/^/    /'
	fi
	grep '^info: ' "$share/out/$s.out" 2>/dev/null | sed 's/^/    /' || true
	sed -n 's/^Startup finished in /    info: boot: /p' "$share/out/$s.analyze" 2>/dev/null || true
}

# deb_blank_volumes: empty volumes for vdb and vdc (the system's fstab
# mounts them on /data and /plain), for the runners that need no files
# on them.
deb_blank_volumes() {
	$B/misc/mke2fs -q -F -t ext4 -O atomic_write -E atomic_write_unit=16k \
		-L data "$work/data.img" 64M > /dev/null
	$B/misc/mke2fs -q -F -t ext4 -L plain "$work/plain.img" 64M > /dev/null
}

# deb_guest LIST DIR: what the runners with their own package list need
# before they boot: the tools, the system with LIST's packages added,
# the work directory with DIR's scenarios (and the wire reader,
# kernel/tests/wire.awk) in the share, empty data volumes.  Build output
# goes to stderr: a benchmark's stdout is its table.
deb_guest() {
	deb_deps >&2
	deb_system "$1" >&2
	deb_workdir
	cp -r "$2"/. "$share/scenarios/"
	cp kernel/tests/wire.awk "$share/scenarios/"
	deb_blank_volumes
}

# print_times: the build steps' wall times, as a table.
print_times() {
	echo "| step | wall time |"
	echo "|---|---|"
	for t in "${times[@]}"; do echo "| ${t%%|*} | ${t#*|} |"; done
}
