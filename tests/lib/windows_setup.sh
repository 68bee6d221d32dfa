# SPDX-License-Identifier: GPL-2.0
# windows_setup.sh --- the f_windows_* image: one file per way of
# breaking the rule, plus a valid file and a deep extent tree.
# $BS is the block size, $UNIT the unit in blocks (16 here: the deep
# file is built for a 16-block unit).  $WINDOWS_SIZE: mke2fs' size
# (and options before it; default 64M).
setup_windows() {
	local u=$UNIT bs=$BS
	"$MKE2FS" -q -F -t ext4 -b $bs -O atomic_write \
		-E atomic_write_unit=$((u * bs)) -U $FIXED_UUID img ${WINDOWS_SIZE:-64M} \
		> /dev/null 2>&1 || exit 1
	T=$ATOMIC_TOOL
	$T create img valid 4 $((4 * u * bs)) 1
	$T create img misaligned 4 $((4 * u * bs)) 2
	$T break img misaligned 1 1
	$T create img hole 4 $((4 * u * bs)) 3
	$T punch img hole $((2 * u + 3)) 2
	$T create img split 4 $((4 * u * bs)) 4
	$T move img split $((u + u / 2)) $((u / 2))
	$T create img pasteof 4 $((4 * u * bs)) 5
	# Stock e2fsck grows i_size over written blocks past EOF (pass 1)
	# before Pass A sees them: only the bytes below the old EOF count.
	$T size img pasteof $((2 * u * bs + u * bs / 2))
	echo $((2 * u * bs + u * bs / 2)) > pasteof.len
	$T hash img pasteof $(cat pasteof.len) > pasteof.hash
	$T deep img deep
	for w in 0 100 200 300 398; do $T break img deep $w 3; done
	save_hashes valid misaligned hole split deep
}
