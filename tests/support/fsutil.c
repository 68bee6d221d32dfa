// SPDX-License-Identifier: GPL-2.0
/*
 * fsutil.c --- image and file helpers for the demo, tests and benchmarks.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "run.h"

/* Make an ext4 image of blocks blocks with stock mke2fs. */
int fsutil_mkfs(const char *path, unsigned int blocksize,
		unsigned long long blocks, const char *extra)
{
	char bs[16], count[32], opts[512];
	char *argv[32];
	int argc = 0, fd;
	char *tok, *save = NULL;

	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t) blocks * blocksize) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(bs, sizeof(bs), "%u", blocksize);
	snprintf(count, sizeof(count), "%llu", blocks);
	snprintf(opts, sizeof(opts), "%s", extra ? extra : "");
	argv[argc++] = "mke2fs";
	argv[argc++] = "-q";
	argv[argc++] = "-F";
	argv[argc++] = "-t";
	argv[argc++] = "ext4";
	argv[argc++] = "-b";
	argv[argc++] = bs;
	for (tok = strtok_r(opts, " ", &save); tok && argc < 28;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc++] = (char *) path;
	argv[argc++] = count;
	argv[argc] = NULL;
	return run_prog(RUN_OURS, "mke2fs", argv);
}

errcode_t fsutil_open(const char *path, int rw, ext2_filsys *ret)
{
	errcode_t retval;

	retval = ext2fs_open(path, EXT2_FLAG_64BITS | (rw ? EXT2_FLAG_RW : 0),
			     0, 0, unix_io_manager, ret);
	if (retval)
		return retval;
	retval = ext2fs_read_bitmaps(*ret);
	if (retval)
		ext2fs_close_free(ret);
	return retval;
}

/* A new empty regular file in the root directory, with extents. */
errcode_t fsutil_create_file(ext2_filsys fs, const char *name, int atomic,
			     ext2_ino_t *ret)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t retval;

	retval = ext2fs_new_inode(fs, EXT2_ROOT_INO, LINUX_S_IFREG | 0644,
				  NULL, &ino);
	if (retval)
		return retval;
	retval = ext2fs_link(fs, EXT2_ROOT_INO, name, ino, EXT2_FT_REG_FILE);
	if (retval == EXT2_ET_DIR_NO_SPACE) {
		retval = ext2fs_expand_dir(fs, EXT2_ROOT_INO);
		if (!retval)
			retval = ext2fs_link(fs, EXT2_ROOT_INO, name, ino,
					     EXT2_FT_REG_FILE);
	}
	if (retval)
		return retval;
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = LINUX_S_IFREG | 0644;
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime = fs->now ? fs->now :
		time(NULL);
	inode.i_flags = EXT4_EXTENTS_FL | (atomic ? EXT4_ATOMIC_FL : 0);
	retval = ext2fs_write_new_inode(fs, ino, &inode);
	if (retval)
		return retval;
	/* An empty extent header in i_block. */
	{
		ext2_extent_handle_t h;

		retval = ext2fs_extent_open2(fs, ino, &inode, &h);
		if (retval)
			return retval;
		ext2fs_extent_free(h);
		retval = ext2fs_write_inode(fs, ino, &inode);
	}
	*ret = ino;
	return retval;
}

/* The byte at offset off of a file written with seed. */
static unsigned char pattern_byte(__u64 off, unsigned int seed)
{
	__u64 x = (off >> 3) * 0x9E3779B97F4A7C15ULL + seed;

	x ^= x >> 29;
	return (unsigned char) (x >> (8 * (off & 7)));
}

static errcode_t file_io(ext2_filsys fs, ext2_ino_t ino, __u64 offset,
			 __u64 len, unsigned int seed, int write,
			 __u64 *hash)
{
	ext2_file_t file;
	char buf[65536];
	unsigned int n, got, i;
	errcode_t retval, ret2;

	retval = ext2fs_file_open(fs, ino, write ? EXT2_FILE_WRITE : 0, &file);
	if (retval)
		return retval;
	retval = ext2fs_file_llseek(file, offset, EXT2_SEEK_SET, NULL);
	while (!retval && len) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (write) {
			for (i = 0; i < n; i++)
				buf[i] = pattern_byte(offset + i, seed);
			retval = ext2fs_file_write(file, buf, n, &got);
		} else {
			retval = ext2fs_file_read(file, buf, n, &got);
			for (i = 0; i < got; i++)
				*hash = (*hash ^ (unsigned char) buf[i]) *
					0x100000001b3ULL;
		}
		if (!retval && got != n)
			retval = EXT2_ET_SHORT_READ;
		offset += n;
		len -= n;
	}
	ret2 = ext2fs_file_close(file);
	return retval ? retval : ret2;
}

errcode_t fsutil_write_pattern(ext2_filsys fs, ext2_ino_t ino,
			       __u64 offset, __u64 len, unsigned int seed)
{
	return file_io(fs, ino, offset, len, seed, 1, NULL);
}

errcode_t fsutil_set_size(ext2_filsys fs, ext2_ino_t ino, __u64 size)
{
	struct ext2_inode inode;
	errcode_t retval;

	retval = ext2fs_read_inode(fs, ino, &inode);
	if (!retval)
		retval = ext2fs_inode_size_set(fs, &inode, size);
	if (!retval)
		retval = ext2fs_write_inode(fs, ino, &inode);
	return retval;
}

/* FNV-1a over the file's i_size bytes (holes read as zeroes). */
errcode_t fsutil_hash_file(ext2_filsys fs, ext2_ino_t ino, __u64 *hash)
{
	struct ext2_inode inode;
	errcode_t retval;

	*hash = 0xcbf29ce484222325ULL;
	retval = ext2fs_read_inode(fs, ino, &inode);
	if (retval)
		return retval;
	return file_io(fs, ino, 0, EXT2_I_SIZE(&inode), 0, 0, hash);
}

/* FNV-1a over the first len bytes (a file may have grown since). */
errcode_t fsutil_hash_range(ext2_filsys fs, ext2_ino_t ino, __u64 len,
			    __u64 *hash)
{
	*hash = 0xcbf29ce484222325ULL;
	return file_io(fs, ino, 0, len, 0, 0, hash);
}

/*
 * Force a mapping, taking the physical blocks if they are free; no
 * alignment applied.
 */
errcode_t fsutil_map(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
		     blk64_t pblk, blk64_t len, int uninit)
{
	struct ext2_inode inode;
	ext2_extent_handle_t h;
	errcode_t retval;
	blk64_t i;

	retval = ext2fs_read_inode(fs, ino, &inode);
	if (retval)
		return retval;
	retval = ext2fs_extent_open2(fs, ino, &inode, &h);
	if (retval)
		return retval;
	/* Take what is not taken yet (the caller may hold the blocks). */
	for (i = 0; i < len; i++)
		if (!ext2fs_test_block_bitmap2(fs->block_map, pblk + i))
			ext2fs_block_alloc_stats2(fs, pblk + i, +1);
	for (i = 0; i < len && !retval; i++)
		retval = ext2fs_extent_set_bmap(h, lblk + i, pblk + i,
				uninit ? EXT2_EXTENT_SET_BMAP_UNINIT : 0);
	if (!retval)
		retval = ext2fs_iblk_add_blocks(fs, &inode, EXT2FS_B2C(fs, len));
	if (!retval)
		retval = ext2fs_write_inode(fs, ino, &inode);
	ext2fs_extent_free(h);
	return retval;
}

/* Unmap logical blocks and free them: punches a hole. */
errcode_t fsutil_unmap(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
		       blk64_t len)
{
	return ext2fs_punch(fs, ino, NULL, NULL, lblk, lblk + len - 1);
}

/*
 * Copy logical blocks [lblk, lblk + len) of a file to new_pblk and remap
 * them there, keeping each block's written/unwritten state.  Holes stay
 * holes.  No alignment is applied: this is how tests break windows.
 * With bigalloc, keep lblk, len and new_pblk cluster-aligned.
 */
errcode_t fsutil_move_blocks(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
			     blk64_t len, blk64_t new_pblk)
{
	struct ext2_inode inode;
	ext2_extent_handle_t h = NULL;
	blk64_t i, *old = NULL, last_cluster = ~0ULL;
	int *flags = NULL;
	char *buf = NULL;
	errcode_t retval;

	retval = ext2fs_get_mem(fs->blocksize, &buf);
	if (!retval)
		retval = ext2fs_get_array(len, sizeof(*old), &old);
	if (!retval)
		retval = ext2fs_get_array(len, sizeof(*flags), &flags);
	if (!retval)
		retval = ext2fs_read_inode(fs, ino, &inode);
	for (i = 0; i < len && !retval; i++) {
		retval = ext2fs_bmap2(fs, ino, &inode, NULL, 0, lblk + i,
				      &flags[i], &old[i]);
		if (retval || !old[i])
			continue;
		retval = io_channel_read_blk64(fs->io, old[i], 1, buf);
		if (!retval)
			retval = io_channel_write_blk64(fs->io, new_pblk + i, 1,
							buf);
	}
	if (!retval)
		retval = fsutil_unmap(fs, ino, lblk, len);
	if (!retval)
		retval = ext2fs_read_inode(fs, ino, &inode);
	if (!retval)
		retval = ext2fs_extent_open2(fs, ino, &inode, &h);
	for (i = 0; i < len && !retval; i++) {
		if (!old[i])
			continue;
		if (EXT2FS_B2C(fs, new_pblk + i) != last_cluster) {
			last_cluster = EXT2FS_B2C(fs, new_pblk + i);
			ext2fs_block_alloc_stats2(fs, new_pblk + i, +1);
			retval = ext2fs_iblk_add_blocks(fs, &inode, 1);
		}
		if (!retval)
			retval = ext2fs_extent_set_bmap(h, lblk + i,
				new_pblk + i, (flags[i] & BMAP_RET_UNINIT) ?
				EXT2_EXTENT_SET_BMAP_UNINIT : 0);
	}
	if (!retval)
		retval = ext2fs_write_inode(fs, ino, &inode);
	if (h)
		ext2fs_extent_free(h);
	ext2fs_free_mem(&flags);
	ext2fs_free_mem(&old);
	ext2fs_free_mem(&buf);
	return retval;
}

/*
 * Break a window on purpose: move it to blocks shifted by shift from
 * the start of a free aligned run (0 < shift < U: misaligned).
 */
errcode_t fsutil_shift_window(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			      __u64 window, blk64_t shift)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t u = ext2fs_atomic_unit_blocks(fs), run;
	errcode_t retval;

	retval = ext2fs_atomic_find_run(ac, 0, 0, 2 * u, &run);
	if (!retval)
		retval = fsutil_move_blocks(fs, ino, window * u, u,
					    run + shift);
	return retval;
}

errcode_t fsutil_print_map(FILE *f, ext2_filsys fs, ext2_ino_t ino)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	errcode_t retval;

	retval = ext2fs_extent_open(fs, ino, &h);
	if (retval)
		return retval;
	retval = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
	while (!retval) {
		if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
			fprintf(f, "    logical %llu-%llu -> physical %llu-%llu%s\n",
				(unsigned long long) e.e_lblk,
				(unsigned long long) e.e_lblk + e.e_len - 1,
				(unsigned long long) e.e_pblk,
				(unsigned long long) e.e_pblk + e.e_len - 1,
				(e.e_flags & EXT2_EXTENT_FLAGS_UNINIT) ?
				" (unwritten)" : "");
		retval = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &e);
	}
	ext2fs_extent_free(h);
	return retval == EXT2_ET_EXTENT_NO_NEXT ? 0 : retval;
}

/*
 * Run stock e2fsck -fn on a copy of image with atomic_write cleared
 * (stock e2fsck refuses the feature).  Returns e2fsck's exit status.
 */
int fsutil_stock_fsck_clean(const char *image, const char *copy)
{
	char cmd[8192];
	char *argv[] = { "e2fsck", "-fn", (char *) copy, NULL };
	ext2_filsys fs;
	int ret;

	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", image, copy);
	if (system(cmd))
		return -1;
	if (ext2fs_open(copy, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			unix_io_manager, &fs))
		return -1;
	ext2fs_atomic_clear_feature(fs->super);
	ext2fs_atomic_set_log_unit(fs->super, 0);
	ext2fs_mark_super_dirty(fs);
	if (ext2fs_close_free(&fs))
		return -1;
	ret = run_prog(RUN_STOCK, "e2fsck", argv);
	unlink(copy);
	return ret;
}
