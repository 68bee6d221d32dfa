/*
 * atomic_format.c --- accessors for the on-disk items of atomic_write.
 *
 * The feature bit, the unit byte (s_log_atomic_unit, superblock offset
 * 0x284) and the inode flag, with the validity rules of FORMAT.md sections 2.2 and 2.3.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext2fs_atomic.h"

int ext2fs_atomic_has_feature(const struct ext2_super_block *sb)
{
	return !!(sb->s_feature_compat & EXT4_FEATURE_COMPAT_ATOMIC_WRITE);
}

void ext2fs_atomic_set_feature(struct ext2_super_block *sb)
{
	sb->s_feature_compat |= EXT4_FEATURE_COMPAT_ATOMIC_WRITE;
}

void ext2fs_atomic_clear_feature(struct ext2_super_block *sb)
{
	sb->s_feature_compat &= ~EXT4_FEATURE_COMPAT_ATOMIC_WRITE;
}

__u8 ext2fs_atomic_get_log_unit(const struct ext2_super_block *sb)
{
	return sb->s_log_atomic_unit;
}

void ext2fs_atomic_set_log_unit(struct ext2_super_block *sb, __u8 log_unit)
{
	sb->s_log_atomic_unit = log_unit;
}

static unsigned int cluster_ratio(const struct ext2_super_block *sb)
{
	if (!(sb->s_feature_ro_compat & EXT4_FEATURE_RO_COMPAT_BIGALLOC) ||
	    sb->s_log_cluster_size < sb->s_log_block_size)
		return 1;
	return 1U << (sb->s_log_cluster_size - sb->s_log_block_size);
}

/*
 * Is 1 << log_unit blocks a valid unit for this superblock?  The unit
 * may not exceed a block group and must hold whole bigalloc clusters.
 */
errcode_t ext2fs_atomic_validate_unit(const struct ext2_super_block *sb,
				      unsigned int log_unit)
{
	unsigned long long unit;

	if (log_unit > 31)
		return EXT2_ET_ATOMIC_UNIT_TOO_BIG;
	unit = 1ULL << log_unit;
	if (unit > EXT2_BLOCKS_PER_GROUP(sb))
		return EXT2_ET_ATOMIC_UNIT_TOO_BIG;
	if (unit % cluster_ratio(sb))
		return EXT2_ET_ATOMIC_UNIT_CLUSTER;
	return 0;
}

/* The superblock-level rules: a valid unit with the feature, 0 without. */
errcode_t ext2fs_atomic_check_super(const struct ext2_super_block *sb)
{
	if (!ext2fs_atomic_has_feature(sb))
		return ext2fs_atomic_get_log_unit(sb) ?
			EXT2_ET_ATOMIC_UNIT_WITHOUT_FEATURE : 0;
	return ext2fs_atomic_validate_unit(sb, ext2fs_atomic_get_log_unit(sb));
}

/* U in blocks; 1 (the rule is always true) when the feature is off. */
blk64_t ext2fs_atomic_unit_blocks(ext2_filsys fs)
{
	if (!ext2fs_atomic_has_feature(fs->super))
		return 1;
	return (blk64_t) 1 << (ext2fs_atomic_get_log_unit(fs->super) & 31);
}

/*
 * The feature and the unit belong in every superblock copy: libext2fs
 * opens with EXT2_FLAG_MASTER_SB_ONLY, which would leave the backups
 * (and so anything that falls back to them) without them.
 */
static void mark_all_supers_dirty(ext2_filsys fs)
{
	fs->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
	ext2fs_mark_super_dirty(fs);
}

errcode_t ext2fs_atomic_enable(ext2_filsys fs, unsigned int log_unit)
{
	errcode_t retval;

	retval = ext2fs_atomic_validate_unit(fs->super, log_unit);
	if (retval)
		return retval;
	ext2fs_atomic_set_feature(fs->super);
	ext2fs_atomic_set_log_unit(fs->super, log_unit);
	mark_all_supers_dirty(fs);
	return 0;
}

void ext2fs_atomic_disable(ext2_filsys fs)
{
	ext2fs_atomic_clear_feature(fs->super);
	ext2fs_atomic_set_log_unit(fs->super, 0);
	mark_all_supers_dirty(fs);
}

/*
 * Parse "65536", "64k", "64K", "1m", "1g" into bytes.  Anything else,
 * including an empty string, a sign or an overflow, is refused.
 */
errcode_t ext2fs_atomic_parse_size(const char *str, unsigned long long *bytes)
{
	unsigned long long val, mult = 1;
	char *end;

	if (!str || !isdigit((unsigned char) *str))
		return EXT2_ET_ATOMIC_BAD_SIZE;
	errno = 0;
	val = strtoull(str, &end, 10);
	if (errno)
		return EXT2_ET_ATOMIC_BAD_SIZE;
	switch (tolower((unsigned char) *end)) {
	case '\0':
		break;
	case 'k':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
		mult = 1ULL << 30;
		end++;
		break;
	default:
		return EXT2_ET_ATOMIC_BAD_SIZE;
	}
	if (*end || val == 0 || val > ~0ULL / mult)
		return EXT2_ET_ATOMIC_BAD_SIZE;
	*bytes = val * mult;
	return 0;
}

/* Convert a unit in bytes to the log2 of its size in blocks, and check it. */
errcode_t ext2fs_atomic_bytes_to_log(const struct ext2_super_block *sb,
				     unsigned long long bytes,
				     unsigned int *log_unit)
{
	unsigned long long blocksize = EXT2_BLOCK_SIZE(sb);
	unsigned int log = 0;

	if (bytes == 0 || (bytes & (bytes - 1)))
		return EXT2_ET_ATOMIC_UNIT_NOT_POW2;
	if (bytes < blocksize)
		return EXT2_ET_ATOMIC_UNIT_BELOW_BLOCK;
	while ((blocksize << log) < bytes)
		log++;
	*log_unit = log;
	return ext2fs_atomic_validate_unit(sb, log);
}

int ext2fs_atomic_inode_flagged(const struct ext2_inode *inode)
{
	return !!(inode->i_flags & EXT4_ATOMIC_FL);
}

/*
 * The per-inode rules of FORMAT.md 2.3.  Returns 0 for an inode
 * without the flag, a directory with it, or a regular file that may
 * carry it; otherwise the code of the first rule it breaks.
 */
errcode_t ext2fs_atomic_inode_valid(ext2_filsys fs,
				    const struct ext2_inode *inode)
{
	if (!ext2fs_atomic_inode_flagged(inode))
		return 0;
	if (!ext2fs_atomic_has_feature(fs->super))
		return EXT2_ET_ATOMIC_NO_FEATURE;
	if (LINUX_S_ISDIR(inode->i_mode))
		return 0;
	if (!LINUX_S_ISREG(inode->i_mode))
		return EXT2_ET_ATOMIC_BAD_TYPE;
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return EXT2_ET_ATOMIC_INLINE_DATA;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return EXT2_ET_ATOMIC_NOT_EXTENTS;
	if (inode->i_flags & EXT3_JOURNAL_DATA_FL)
		return EXT2_ET_ATOMIC_DATA_JOURNAL;
	return 0;
}

/* The unit for messages: "65536 bytes (16 blocks)". */
void ext2fs_atomic_describe_unit(const struct ext2_super_block *sb,
				 char *buf, size_t size)
{
	unsigned long long blocks = 1ULL <<
		(ext2fs_atomic_get_log_unit(sb) & 31);

	snprintf(buf, size, "%llu bytes (%llu block%s)",
		 blocks * EXT2_BLOCK_SIZE(sb), blocks, blocks == 1 ? "" : "s");
}

/*
 * Register the atomic error table (e2at), once per process.  It is done
 * when the program starts, so that every program linked with the
 * extension prints our codes' messages without knowing the table; the
 * call stays public for programs that load the library late.
 */
void ext2fs_atomic_init(void)
{
	initialize_e2at_error_table();
}

static void __attribute__((constructor)) atomic_register_errors(void)
{
	ext2fs_atomic_init();
}
