/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fsutil.h --- image and file helpers shared by the demo program, the
 * unit tests and the benchmarks.  Not part of the atomic library: these
 * build test layouts (including broken ones, on purpose) and verify
 * file contents.
 */

#ifndef E2ATOMIC_FSUTIL_H
#define E2ATOMIC_FSUTIL_H

#include <stdio.h>
#include <ext2fs/ext2fs_atomic.h>

int fsutil_mkfs(const char *path, unsigned int blocksize,
		unsigned long long blocks, const char *extra);
errcode_t fsutil_open(const char *path, int rw, ext2_filsys *ret);
errcode_t fsutil_create_file(ext2_filsys fs, const char *name, int atomic,
			     ext2_ino_t *ret);
errcode_t fsutil_write_pattern(ext2_filsys fs, ext2_ino_t ino,
			       __u64 offset, __u64 len, unsigned int seed);
errcode_t fsutil_set_size(ext2_filsys fs, ext2_ino_t ino, __u64 size);
errcode_t fsutil_hash_file(ext2_filsys fs, ext2_ino_t ino, __u64 *hash);
errcode_t fsutil_hash_range(ext2_filsys fs, ext2_ino_t ino, __u64 len,
			    __u64 *hash);
errcode_t fsutil_map(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
		     blk64_t pblk, blk64_t len, int uninit);
errcode_t fsutil_unmap(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
		       blk64_t len);
errcode_t fsutil_move_blocks(ext2_filsys fs, ext2_ino_t ino, blk64_t lblk,
			     blk64_t len, blk64_t new_pblk);
errcode_t fsutil_shift_window(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			      __u64 window, blk64_t shift);
errcode_t fsutil_print_map(FILE *f, ext2_filsys fs, ext2_ino_t ino);
int fsutil_stock_fsck_clean(const char *image, const char *copy);

#endif /* E2ATOMIC_FSUTIL_H */
