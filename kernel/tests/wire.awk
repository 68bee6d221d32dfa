# SPDX-License-Identifier: GPL-2.0
# wire.awk --- which write commands landed in a file's blocks, and were
# they atomic?  Used by the VM tests (tests/k_untorn, scsi_debug's log)
# and the booted-Debian MariaDB test (the scsi:scsi_dispatch_cmd_start
# trace event).
#
#   awk -v wb=WINDOW_BLOCKS -f wire.awk EXTENTS LOG
#
# EXTENTS: "first-block count" lines, the file's blocks (4 KiB blocks on
# a disk of 4 KiB sectors: a block number is an LBA).  LOG: lines with a
# SCSI CDB in hex after "cmd " (scsi_debug, opts=1) or "raw=" (the trace
# event).  WRITE(10) (2a), WRITE(16) (8a) and WRITE ATOMIC(16) (9c) that
# touch the extents are counted.  Prints "ATOMIC-COMMANDS ATOMIC-BLOCKS
# PLAIN-COMMANDS PLAIN-BLOCKS NOT-WHOLE", NOT-WHOLE being the atomic
# commands that do not cover whole, aligned windows of WB blocks.
function hex(s,   i, n) {
	n = 0
	for (i = 1; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n
}
function num(a, b,   i, n) {	# bytes a..b of the CDB, big-endian
	n = 0
	for (i = a; i <= b; i++)
		n = n * 256 + hex(c[i])
	return n
}
FILENAME == ARGV[1] {
	for (b = $1; b < $1 + $2; b++)
		mine[b] = 1
	next
}
/ cmd (2a|8a|9c) |raw=(2a|8a|9c) / {
	r = $0
	sub(/.* cmd |.*raw=/, "", r)
	sub(/\).*/, "", r)
	n = split(r, f, " ")
	for (i = 1; i <= n; i++)
		c[i - 1] = f[i]
	if (c[0] == "9c") {
		lba = num(2, 9); len = num(12, 13)
	} else if (c[0] == "8a") {
		lba = num(2, 9); len = num(10, 13)
	} else {
		lba = num(2, 5); len = num(7, 8)
	}
	for (b = lba; b < lba + len; b++)
		if (b in mine)
			break
	if (b == lba + len)
		next
	if (c[0] == "9c") {
		an++; ab += len
		if (lba % wb || len % wb)
			bad++
	} else {
		pn++; pb += len
	}
}
END { print an + 0, ab + 0, pn + 0, pb + 0, bad + 0 }
