/*
 * super_list.h --- the stock superblock listing, atomic-aware.
 */

#ifndef E2ATOMIC_SUPER_LIST_H
#define E2ATOMIC_SUPER_LIST_H

#include <ext2fs/ext2fs.h>

int super_list_run(const char *prog, char **argv,
		   const struct ext2_super_block *sb);
errcode_t super_list_read(const char *device, blk64_t superblock,
			  unsigned int blocksize, int image_file,
			  struct ext2_super_block *sb);

#endif /* E2ATOMIC_SUPER_LIST_H */
