/*
 * sbview.c --- what stock e2fsck and resize2fs see of a superblock.
 *
 * Stock e2fsprogs refuses the unknown compat bit atomic_write.  In the
 * stock view every superblock copy read from the disk has the bit and
 * the unit byte cleared (and its checksum recomputed when metadata_csum
 * is on); every copy written to the disk gets them back before it
 * leaves, so the bit is never absent on disk.  These functions work on
 * byte ranges of the device; the I/O manager (stockview_io.c) calls
 * them for every read and write.
 */

#include <stdlib.h>
#include <string.h>

#include "sbview.h"

#define OFF_COMPAT	0x5c
#define OFF_RO_COMPAT	0x64
#define OFF_UNIT	0x284
#define OFF_CHECKSUM	0x3fc
#define ATOMIC_BIT	0x2000
#define RO_METADATA_CSUM 0x400

static __u32 get32(const void *sb, size_t off)
{
	const unsigned char *p = (const unsigned char *) sb + off;

	return p[0] | p[1] << 8 | p[2] << 16 | (__u32) p[3] << 24;
}

static void put32(void *sb, size_t off, __u32 v)
{
	unsigned char *p = (unsigned char *) sb + off;

	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int is_super(const void *sb)
{
	return (get32(sb, 0x38) & 0xffff) == EXT2_SUPER_MAGIC;
}

static void fix_checksum(void *sb)
{
	if (get32(sb, OFF_RO_COMPAT) & RO_METADATA_CSUM)
		put32(sb, OFF_CHECKSUM, ext2fs_crc32c_le(~0U, sb,
							 OFF_CHECKSUM));
}

static int has_backup(const struct ext2_super_block *sb, __u64 group)
{
	__u64 n;
	int base;

	if (group <= 1)
		return 1;
	if (sb->s_feature_compat & EXT4_FEATURE_COMPAT_SPARSE_SUPER2)
		return group == sb->s_backup_bgs[0] ||
		       group == sb->s_backup_bgs[1];
	if (!(sb->s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return 1;
	for (base = 3; base <= 7; base += 2) {
		for (n = base; n < group; n *= base)
			;
		if (n == group)
			return 1;
	}
	return 0;
}

/*
 * Learn where the copies are from the primary superblock (raw, little
 * endian as on disk).  Returns -1 if memory runs out.
 */
int sbview_setup(struct sbview *v, const void *primary)
{
	struct ext2_super_block sb;
	unsigned long long bs, blocks, groups, g, *copies;

	memcpy(&sb, primary, sizeof(sb));
	sbview_release(v);
	if (sb.s_magic != EXT2_SUPER_MAGIC || sb.s_log_block_size > 6 ||
	    !sb.s_blocks_per_group ||
	    !(sb.s_feature_compat & ATOMIC_BIT))
		return 0;
	bs = 1024ULL << sb.s_log_block_size;
	blocks = sb.s_blocks_count;
	if (sb.s_feature_incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		blocks |= (unsigned long long) sb.s_blocks_count_hi << 32;
	if (blocks <= sb.s_first_data_block)
		return 0;
	groups = (blocks - sb.s_first_data_block + sb.s_blocks_per_group - 1) /
		 sb.s_blocks_per_group;
	copies = malloc(sizeof(*copies) * (groups + 1));
	if (!copies)
		return -1;
	v->copies = copies;
	v->copies[v->nr++] = 1024;
	for (g = 1; g < groups; g++)
		if (has_backup(&sb, g))
			v->copies[v->nr++] = (sb.s_first_data_block +
					      g * sb.s_blocks_per_group) * bs;
	v->log_unit = ((const unsigned char *) primary)[OFF_UNIT];
	v->active = 1;
	return 0;
}

void sbview_release(struct sbview *v)
{
	free(v->copies);
	memset(v, 0, sizeof(*v));
}

/* A whole on-disk copy, as stock must see it. */
void sbview_hide_copy(void *sb)
{
	if (!is_super(sb) || !(get32(sb, OFF_COMPAT) & ATOMIC_BIT))
		return;
	put32(sb, OFF_COMPAT, get32(sb, OFF_COMPAT) & ~ATOMIC_BIT);
	((unsigned char *) sb)[OFF_UNIT] = 0;
	fix_checksum(sb);
}

/* A whole copy written by stock, as the disk must hold it. */
void sbview_show_copy(const struct sbview *v, void *sb)
{
	if (!is_super(sb))
		return;		/* not a superblock: leave it alone */
	put32(sb, OFF_COMPAT, get32(sb, OFF_COMPAT) | ATOMIC_BIT);
	((unsigned char *) sb)[OFF_UNIT] = v->log_unit;
	fix_checksum(sb);
}

/* How many copies does [off, off + len) touch? */
size_t sbview_overlaps(const struct sbview *v, unsigned long long off,
		       size_t len)
{
	size_t i, n = 0;

	for (i = 0; v->active && i < v->nr; i++)
		n += v->copies[i] < off + len &&
		     v->copies[i] + SBVIEW_COPY_SIZE > off;
	return n;
}

/*
 * Bring the copy at c into buf whole: from data where it covers it, the
 * rest from the disk.  [*from, *to) is the part of the copy that data
 * covers.
 */
static int whole_copy(unsigned long long c, unsigned long long off,
		      const unsigned char *data, size_t len,
		      sbview_fetch_func fetch, void *priv,
		      unsigned char *buf, size_t *from, size_t *to)
{
	unsigned long long lo = c > off ? c : off;
	unsigned long long hi = c + SBVIEW_COPY_SIZE < off + len ?
				c + SBVIEW_COPY_SIZE : off + len;

	*from = lo - c;
	*to = hi - c;
	if ((*from > 0 || *to < SBVIEW_COPY_SIZE) && fetch(priv, c, buf))
		return -1;
	memcpy(buf + *from, data + (lo - off), hi - lo);
	return 0;
}

/*
 * Patch every copy that [off, off + len) overlaps: into the stock view
 * (to_disk 0) or the disk's (to_disk 1).  For the disk, a copy covered
 * only in part is also returned whole in whole[] at whole_off[].
 */
static int patch(const struct sbview *v, unsigned long long off, void *data,
		 size_t len, sbview_fetch_func fetch, void *priv, int to_disk,
		 unsigned char *whole, size_t max_whole,
		 unsigned long long *whole_off, size_t *nr_whole)
{
	unsigned char buf[SBVIEW_COPY_SIZE];
	size_t i, from, to;
	unsigned long long c;

	*nr_whole = 0;
	for (i = 0; v->active && i < v->nr; i++) {
		c = v->copies[i];
		if (c >= off + len || c + SBVIEW_COPY_SIZE <= off)
			continue;
		if (whole_copy(c, off, data, len, fetch, priv, buf, &from,
			       &to))
			return -1;
		if (to_disk)
			sbview_show_copy(v, buf);
		else
			sbview_hide_copy(buf);
		memcpy((unsigned char *) data + (c + from - off), buf + from,
		       to - from);
		if (!to_disk || (from == 0 && to == SBVIEW_COPY_SIZE))
			continue;
		if (*nr_whole == max_whole)
			return -1;
		memcpy(whole + *nr_whole * SBVIEW_COPY_SIZE, buf,
		       SBVIEW_COPY_SIZE);
		whole_off[(*nr_whole)++] = c;
	}
	return 0;
}

/* Patch data, just read from [off, off + len), into the stock view. */
int sbview_patch_read(const struct sbview *v, unsigned long long off,
		      void *data, size_t len, sbview_fetch_func fetch,
		      void *priv)
{
	size_t nr;

	return patch(v, off, data, len, fetch, priv, 0, NULL, 0, NULL, &nr);
}

/*
 * Patch data, about to be written to [off, off + len), into the disk's
 * view.  A copy that data covers only in part is also returned whole
 * (patched) in whole[], at whole_off[], to be written after data, so
 * that its checksum matches all its bytes.  Returns -1 on a fetch error
 * or when more than max_whole copies are partial.
 */
int sbview_patch_write(const struct sbview *v, unsigned long long off,
		       void *data, size_t len, sbview_fetch_func fetch,
		       void *priv, unsigned char *whole, size_t max_whole,
		       unsigned long long *whole_off, size_t *nr_whole)
{
	return patch(v, off, data, len, fetch, priv, 1, whole, max_whole,
		     whole_off, nr_whole);
}
