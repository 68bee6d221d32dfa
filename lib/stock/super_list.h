/*
 * super_list.h --- the stock superblock listing, atomic-aware.
 */

#ifndef E2ATOMIC_SUPER_LIST_H
#define E2ATOMIC_SUPER_LIST_H

#include <ext2fs/ext2fs.h>

void super_list_line(const char *line, const struct ext2_super_block *sb);
int super_list_run(const char *prog, char **argv,
		   const struct ext2_super_block *sb);
/* How the listers open a filesystem: journal devices and all. */
#define SUPER_LIST_FLAGS	(EXT2_FLAG_JOURNAL_DEV_OK | \
				 EXT2_FLAG_SOFTSUPP_FEATURES)

#endif /* E2ATOMIC_SUPER_LIST_H */
