// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_check.c --- libFuzzer target: the rule checker's state machine
 * (ext2fs_atomic_checker_*) fed arbitrary extent lists.
 *
 * Input: a 6-byte header
 *	u8 log_unit (mod 32), u8 blocksize code (1 KiB << (code mod 4)),
 *	u32 i_size (bytes)
 * then 12-byte extents
 *	u32 lblk, u32 pblk, u16 len, u16 flags (bit 0: uninit)
 * all little-endian.  Extents may overlap, go backwards or wrap.
 *
 * Besides the sanitizers, the reports are checked: every range is
 * non-empty, names known problems only, stays inside the windows the
 * extents touch and, when the extents come in order (as a sound tree
 * gives them), comes after the previous one; nr_bad is the sum of the
 * ranges.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2fs_atomic.h>
#include "fuzz.h"

struct seen {
	__u64	next;		/* first window a report may name */
	__u64	limit;		/* one past the last window touched */
	__u64	total;
	int	any;
	int	sorted;		/* extents in order, without overlap */
};

static int got(ext2_ino_t ino, const struct ext2fs_atomic_violation *v,
	       void *priv)
{
	struct seen *s = priv;

	(void) ino;
	FUZZ_ASSERT(v->nr_windows > 0);
	FUZZ_ASSERT(v->problems && !(v->problems & ~EXT2FS_ATOMIC_ALL_PROBLEMS));
	FUZZ_ASSERT(!s->sorted || !s->any || v->first_window >= s->next);
	FUZZ_ASSERT(v->first_window + v->nr_windows > v->first_window);
	FUZZ_ASSERT(v->first_window + v->nr_windows <= s->limit);
	s->next = v->first_window + v->nr_windows;
	s->total += v->nr_windows;
	s->any = 1;
	return 0;
}

static __u32 le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (__u32) p[3] << 24;
}

static __u16 le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ext2fs_atomic_checker c;
	struct seen s = { 0, 0, 0, 0, 1 };
	blk64_t unit;
	__u64 end, prev_end = 0;
	size_t off;

	if (size < 6)
		return 0;
	unit = (blk64_t) 1 << (data[0] % 32);
	/* The windows the extents touch: reports must stay inside. */
	for (off = 6; off + 12 <= size; off += 12) {
		end = (__u64) le32(data + off) + le16(data + off + 8);
		if (le32(data + off) < prev_end)
			s.sorted = 0;
		if (end > prev_end)
			prev_end = end;
		if (le16(data + off + 8) && (end + unit - 1) / unit > s.limit)
			s.limit = (end + unit - 1) / unit;
	}
	ext2fs_atomic_checker_init(&c, unit, le32(data + 2),
				   1024U << (data[1] % 4), got, &s);
	for (off = 6; off + 12 <= size; off += 12)
		ext2fs_atomic_checker_add(&c, le32(data + off),
					  le32(data + off + 4),
					  le16(data + off + 8),
					  le16(data + off + 10) & 1);
	ext2fs_atomic_checker_finish(&c);
	FUZZ_ASSERT(c.nr_bad == s.total);
	return 0;
}
