/*
 * dumpe2fs.c --- stock dumpe2fs, with atomic_write named and its unit.
 *
 * Every option is stock dumpe2fs's.  On a filesystem without the
 * atomic_write feature the stock program simply replaces this one.
 */

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ext2fs_atomic.h"
#include "stock.h"
#include "super_list.h"

#define DUMPE2FS_OPTS	"bfghimxVo:"

/* -o superblock=N / sb=N / blocksize=N / bs=N, as stock parses them. */
static void parse_o(const char *opts, blk64_t *superblock,
		    unsigned int *blocksize)
{
	char *copy = strdup(opts), *word, *save = NULL, *val;

	for (word = copy ? strtok_r(copy, ",", &save) : NULL; word;
	     word = strtok_r(NULL, ",", &save)) {
		val = strchr(word, '=');
		if (!val)
			continue;
		*val++ = 0;
		if (!strcmp(word, "superblock") || !strcmp(word, "sb"))
			*superblock = strtoull(val, NULL, 0);
		else if (!strcmp(word, "blocksize") || !strcmp(word, "bs"))
			*blocksize = strtoul(val, NULL, 0);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	struct ext2_super_block sb;
	struct arg_list al;
	const char *device;
	blk64_t superblock = 0;
	unsigned int blocksize = 0;
	int i, have_sb;

	ext2fs_atomic_init();
	if (args_scan(&al, argc, argv, DUMPE2FS_OPTS) || al.bad)
		stock_exec("dumpe2fs", argv);
	device = args_operand(&al, 0);
	if (!device || args_count(&al, 'V'))
		stock_exec("dumpe2fs", argv);
	for (i = 0; i < al.nr; i++)
		if (al.items[i].opt == 'o' && al.items[i].value)
			parse_o(al.items[i].value, &superblock, &blocksize);
	if (superblock && !blocksize)
		blocksize = 1024;	/* what stock assumes, too */
	have_sb = !ext2fs_atomic_read_super(device, SUPER_LIST_FLAGS |
			(args_count(&al, 'i') ? EXT2_FLAG_IMAGE_FILE : 0),
			superblock, blocksize, &sb);
	if (have_sb && !ext2fs_atomic_has_feature(&sb) &&
	    !ext2fs_atomic_get_log_unit(&sb))
		stock_exec("dumpe2fs", argv);
	args_free(&al);
	stock_exit(super_list_run("dumpe2fs", argv, have_sb ? &sb : NULL));
	return 0;
}
