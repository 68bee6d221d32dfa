/*
 * atomic_scan.c --- enumerate the inodes that carry EXT4_ATOMIC_FL.
 *
 * One pass over the inode tables with libext2fs' inode scan, which
 * skips groups whose inode table is unused (uninit_bg / metadata_csum)
 * and reads the tables in large pieces.
 */

#include "ext2fs_atomic.h"

errcode_t ext2fs_atomic_scan_inodes(ext2_filsys fs,
				    ext2fs_atomic_inode_func func,
				    void *priv)
{
	ext2_inode_scan scan = NULL;
	struct ext2_inode *inode = NULL;
	int size = EXT2_INODE_SIZE(fs->super);
	ext2_ino_t ino;
	errcode_t retval;

	/* Reading again would drop changes not yet written. */
	if (!fs->inode_map) {
		retval = ext2fs_read_inode_bitmap(fs);
		if (retval)
			return retval;
	}
	retval = ext2fs_get_mem(size, &inode);
	if (retval)
		return retval;
	retval = ext2fs_open_inode_scan(fs, 0, &scan);
	if (retval)
		goto cleanup;
	ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	while (1) {
		retval = ext2fs_get_next_inode_full(scan, &ino, inode, size);
		if (retval == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		if (retval || !ino)
			break;
		/* The bitmap decides: orphans have no links, yet are used. */
		if (!(inode->i_flags & EXT4_ATOMIC_FL) ||
		    !ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		if (func(fs, ino, inode, priv))
			break;
	}
cleanup:
	if (scan)
		ext2fs_close_inode_scan(scan);
	ext2fs_free_mem(&inode);
	return retval;
}

static int count_one(ext2_filsys fs EXT2FS_ATTR((unused)),
		     ext2_ino_t ino EXT2FS_ATTR((unused)),
		     struct ext2_inode *inode EXT2FS_ATTR((unused)),
		     void *priv)
{
	(*(ext2_ino_t *) priv)++;
	return 0;
}

errcode_t ext2fs_atomic_count_inodes(ext2_filsys fs, ext2_ino_t *count)
{
	*count = 0;
	return ext2fs_atomic_scan_inodes(fs, count_one, count);
}
