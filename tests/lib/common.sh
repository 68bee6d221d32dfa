# SPDX-License-Identifier: GPL-2.0
# common.sh --- helpers for the tool tests (sourced by a test's script).
#
# Our tools (e2fsprogs built with our support: $E2ATOMIC_BUILD), the
# stock ones (the unpatched build of the same source:
# $E2ATOMIC_STOCK_BUILD), and ways to prove that a refused command
# changed nothing.

B=$E2ATOMIC_BUILD
S=$E2ATOMIC_STOCK_BUILD
MKE2FS="$B/misc/mke2fs"
TUNE2FS="$B/misc/tune2fs"
DUMPE2FS="$B/misc/dumpe2fs"
E2FSCK="$B/e2fsck/e2fsck"
RESIZE2FS="$B/resize/resize2fs"
DEBUGFS="$B/debugfs/debugfs"
CHATTR="$B/misc/chattr"
LSATTR="$B/misc/lsattr"
ATOMIC_TOOL="$TOP/tests/progs/atomic-tool"
CHECK_RULE="$TOP/tests/lib/check_rule"
STOCK_MKE2FS="$S/misc/mke2fs"
STOCK_TUNE2FS="$S/misc/tune2fs"
STOCK_DUMPE2FS="$S/misc/dumpe2fs"
STOCK_E2FSCK="$S/e2fsck/e2fsck"
STOCK_RESIZE2FS="$S/resize/resize2fs"
STOCK_DEBUGFS="$S/debugfs/debugfs"

# Fixed times, UUIDs and hash seeds make images comparable byte by byte.
export E2FSPROGS_FAKE_TIME=1700000000
FIXED_UUID=6b33f586-a183-4383-921d-30da3fef2e1c
FIXED_SEED=0ec6e1b4-2b3d-4b2a-8f9b-1b0d5c9a2c11

# Under the ASan build (make SANITIZE=1): e2fsprogs 1.47.0's own leaks.
# The undo manager's (lib/lsan-undo.supp), for tests that use -z:
lsan_undo_suppressions() {
	export LSAN_OPTIONS="suppressions=$TOP/tests/lib/lsan-undo.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}
# resize2fs keeps its mount point buffer when it refuses a size and exits
# (the unpatched build too); LeakSanitizer cannot tell it from a leak of
# ours (it is malloc'd in main()), so tests of resize2fs' refusals turn it
# off; valgrind-tools checks the same refusals with a suppression of just
# that allocation.
lsan_off_for_resize_refusals() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

hash_of() {
	if [ -d "$1" ]; then ls -la --time-style=full-iso "$1" | sha256sum |
		cut -c1-16
	elif [ -e "$1" ]; then sha256sum < "$1" | cut -c1-16; else echo absent; fi
}

# run_hashed image cmd...: run cmd (output in refuse.out and refuse.err)
# and set the caller's before, after (image hashes) and rc.
run_hashed() {
	local img=$1
	shift
	before=$(hash_of "$img")
	"$@" > refuse.out 2> refuse.err
	rc=$?
	after=$(hash_of "$img")
}

# refuse "what" pattern image cmd...: the command must fail, say
# pattern on standard error, and leave image (or its absence) as it was.
refuse() {
	local what=$1 pattern=$2 img=$3 before after rc
	shift 3
	run_hashed "$img" "$@"
	if [ $rc -eq 0 ]; then
		echo "$what: NOT refused"
	elif ! grep -q -- "$pattern" refuse.err; then
		echo "$what: refused (exit $rc) without saying '$pattern':"
		cat refuse.err
	elif [ "$before" != "$after" ]; then
		echo "$what: refused but the image changed"
	else
		echo "$what: refused, exit $rc, image unchanged"
	fi
}

# A copy of img without the atomic_write bit, for the stock checker.
stock_fsck_copy() {
	cp --sparse=always "$1" "$1.copy"
	"$ATOMIC_TOOL" strip "$1.copy" ||
		{ echo "could not clear atomic_write on a copy"; return 1; }
	"$STOCK_E2FSCK" -fn "$1.copy" > "$1.fsck" 2>&1
	local rc=$?
	rm -f "$1.copy"
	return $rc
}

# The superblock's feature list and unit, as our dumpe2fs shows them.
features_and_unit() {
	"$DUMPE2FS" -h "$1" 2>/dev/null |
		grep -E '^(Filesystem features|Atomic write unit):' |
		sed -e 's/  */ /g'
}

# The e2fsprogs f_ test shape: -n changes nothing; the first -fy run
# goes to standard output, the second (which must be clean) to $OUT2;
# each ends with "Exit status is N".  Extra e2fsck options may follow.
fsck_runs() {
	local before rc
	before=$(hash_of img)
	"$E2FSCK" -fn "$@" img > n.out 2>&1
	rc=$?
	echo "-n: exit $rc, image $([ "$before" = "$(hash_of img)" ] && echo unchanged || echo CHANGED), Pass A: $(grep -c '? no$' n.out) refused fixes"
	grep -o '(written block past end of file)' n.out | sort -u
	"$E2FSCK" -fy "$@" img 2>&1 | grep -v '^e2fsck [0-9]'
	echo "Exit status is ${PIPESTATUS[0]}"
	"$E2FSCK" -fy "$@" img 2>&1 | grep -v '^e2fsck [0-9]' > "$OUT2"
	echo "Exit status is ${PIPESTATUS[0]}" >> "$OUT2"
}

# After a repair: each named file obeys the rule (independent reader)
# and kept its contents (hashes saved by save_hashes).
save_hashes() {
	local f
	for f in "$@"; do "$ATOMIC_TOOL" hash img $f > "${f//\//_}.hash"; done
	# (a file whose bytes-to-compare differ from i_size has $f.len)
}
verify_files() {
	local unit=$1 f
	shift
	for f in "$@"; do
		"$CHECK_RULE" img $f $unit
		[ -s "$f.hash" ] &&
		cmp -s "$f.hash" <("$ATOMIC_TOOL" hash img $f $(cat "$f.len" 2>/dev/null)) &&
			echo "$f: contents unchanged" || echo "$f: CONTENTS CHANGED"
	done
	stock_fsck_copy img && echo "stock e2fsck on a copy without the bit: clean" ||
		{ echo "stock e2fsck on a copy without the bit: NOT clean"; cat img.fsck; }
}

# refuse_said "what" pattern image cmd...: as refuse, for tools that
# exit 0 after a command's error (debugfs): the command must say pattern
# on standard error and leave image as it was; the exit status is shown.
refuse_said() {
	local what=$1 pattern=$2 img=$3 before after rc
	shift 3
	run_hashed "$img" "$@"
	if ! grep -q -- "$pattern" refuse.err; then
		echo "$what: NOT refused (exit $rc); it said:"
		cat refuse.err
	elif [ "$before" != "$after" ]; then
		echo "$what: refused but the image changed"
	else
		echo "$what: refused (exit $rc), image unchanged"
	fi
}

# The r_ tests' check of a resized image: every named atomic file obeys
# the rule (independent reader), every named file kept its contents
# (hashes saved by save_hashes), our e2fsck -fn is clean, and stock
# e2fsck is clean on a copy without the bit.
check_resized() {
	local unit=$1 f rc
	shift
	for f in "$@"; do
		case $f in a*) "$CHECK_RULE" img $f $unit;; esac
	done
	for f in "$@"; do
		cmp -s "${f//\//_}.hash" <("$ATOMIC_TOOL" hash img $f) ||
			echo "$f: CONTENTS CHANGED"
	done
	echo "contents of $# files checked"
	"$E2FSCK" -fn img > fsck.out 2>&1
	rc=$?
	echo "our e2fsck -fn: exit $rc"
	[ $rc -eq 0 ] || cat fsck.out
	stock_fsck_copy img && echo "stock e2fsck on a copy without the bit: clean" ||
		{ echo "stock e2fsck on a copy without the bit: NOT clean"; cat img.fsck; }
}
