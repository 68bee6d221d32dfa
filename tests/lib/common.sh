# common.sh --- helpers for the tool tests (sourced by a test's script).
#
# The project's tools, the stock ones, and ways to prove that a refused
# command changed nothing.

MKE2FS="$TOP/misc/mke2fs"
TUNE2FS="$TOP/misc/tune2fs"
DUMPE2FS="$TOP/misc/dumpe2fs"
ATOMIC_TOOL="$TOP/tests/progs/atomic-tool"
CHECK_RULE="$TOP/tests/lib/check_rule"
STOCK_MKE2FS=/usr/sbin/mke2fs
STOCK_TUNE2FS=/usr/sbin/tune2fs
STOCK_DUMPE2FS=/usr/sbin/dumpe2fs
STOCK_E2FSCK=/usr/sbin/e2fsck
STOCK_DEBUGFS=/usr/sbin/debugfs

# Fixed times, UUIDs and hash seeds make images comparable byte by byte.
export E2FSPROGS_FAKE_TIME=1700000000
FIXED_UUID=6b33f586-a183-4383-921d-30da3fef2e1c
FIXED_SEED=0ec6e1b4-2b3d-4b2a-8f9b-1b0d5c9a2c11

hash_of() {
	if [ -e "$1" ]; then sha256sum < "$1" | cut -c1-16; else echo absent; fi
}

# refuse "what" pattern image cmd...: the command must fail, say
# pattern on standard error, and leave image (or its absence) as it was.
refuse() {
	local what=$1 pattern=$2 img=$3 before after rc
	shift 3
	before=$(hash_of "$img")
	"$@" > refuse.out 2> refuse.err
	rc=$?
	after=$(hash_of "$img")
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
