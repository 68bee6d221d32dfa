/*
 * atomic_flags.c --- the names of the inode flags, Atomic_Write included.
 *
 * One table for every tool that prints or parses flags: lsattr and
 * chattr (letters, long names, the stock lsattr column order) and
 * debugfs's stat (long names).  libe2p's print_flags() does not know
 * Atomic_Write, so the table is ours; its stock part follows the order
 * and the names of libe2p 1.47 so that lsattr's columns line up with
 * stock's, and Atomic_Write ('W') is the last column.
 */

#include <stdio.h>
#include <string.h>

#include "ext2fs_atomic.h"

const struct ext2fs_atomic_flag_name ext2fs_atomic_flag_names[] = {
	{ EXT2_SECRM_FL,	's', "Secure_Deletion",		1 },
	{ EXT2_UNRM_FL,		'u', "Undelete",		1 },
	{ EXT2_SYNC_FL,		'S', "Synchronous_Updates",	1 },
	{ EXT2_DIRSYNC_FL,	'D', "Synchronous_Directory_Updates", 1 },
	{ EXT2_IMMUTABLE_FL,	'i', "Immutable",		1 },
	{ EXT2_APPEND_FL,	'a', "Append_Only",		1 },
	{ EXT2_NODUMP_FL,	'd', "No_Dump",			1 },
	{ EXT2_NOATIME_FL,	'A', "No_Atime",		1 },
	{ EXT2_COMPR_FL,	'c', "Compression_Requested",	1 },
	{ EXT4_ENCRYPT_FL,	'E', "Encrypted",		0 },
	{ EXT3_JOURNAL_DATA_FL,	'j', "Journaled_Data",		1 },
	{ EXT2_INDEX_FL,	'I', "Indexed_directory",	0 },
	{ EXT2_NOTAIL_FL,	't', "No_Tailmerging",		1 },
	{ EXT2_TOPDIR_FL,	'T', "Top_of_Directory_Hierarchies", 1 },
	{ EXT4_EXTENTS_FL,	'e', "Extents",			1 },
	{ 0x00800000,		'C', "No_COW",			1 },
	{ 0x02000000,		'x', "DAX",			1 },
	{ EXT4_CASEFOLD_FL,	'F', "Casefold",		1 },
	{ EXT4_INLINE_DATA_FL,	'N', "Inline_Data",		0 },
	{ EXT4_PROJINHERIT_FL,	'P', "Project_Hierarchy",	1 },
	{ EXT4_VERITY_FL,	'V', "Verity",			0 },
	{ EXT2_NOCOMPR_FL,	'm', "Dont_Compress",		1 },
	{ EXT4_ATOMIC_FL,	EXT2FS_ATOMIC_FLAG_LETTER,
				EXT2FS_ATOMIC_FLAG_NAME,	1 },
	{ 0, 0, NULL, 0 }
};

/* Flags lsattr has no column for, named in debugfs's stat only. */
static const struct ext2fs_atomic_flag_name inode_only_names[] = {
	{ EXT4_HUGE_FILE_FL,	0, "Huge_File",			0 },
	{ EXT4_EA_INODE_FL,	0, "EA_Inode",			0 },
	{ 0, 0, NULL, 0 }
};

/* The flag chattr sets for a letter; 0 if chattr has no such letter. */
__u32 ext2fs_atomic_flag_of_letter(int letter)
{
	const struct ext2fs_atomic_flag_name *fp;

	for (fp = ext2fs_atomic_flag_names; fp->flag; fp++)
		if (fp->settable && fp->letter == letter)
			return fp->flag;
	return 0;
}

/*
 * lsattr's rendering: one column per table entry (a letter or '-'), or
 * with long set the names of the flags that are set, ", "-separated,
 * "---" for none.
 */
void ext2fs_atomic_print_flags(FILE *f, unsigned long flags, int long_form)
{
	const struct ext2fs_atomic_flag_name *fp;
	int first = 1;

	for (fp = ext2fs_atomic_flag_names; fp->flag; fp++) {
		if (!long_form) {
			fputc(flags & fp->flag ? fp->letter : '-', f);
			continue;
		}
		if (!(flags & fp->flag))
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", fp->name);
		first = 0;
	}
	if (long_form && first)
		fputs("---", f);
}

static void append(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len ? ", " : "", word);
}

/*
 * debugfs's rendering: the names of every set flag, Atomic_Write first,
 * then lsattr's order, then the flags lsattr does not show; bits
 * without a name are left out.  Empty string for none.
 */
void ext2fs_atomic_describe_flags(__u32 flags, char *buf, size_t size)
{
	const struct ext2fs_atomic_flag_name *tables[] = {
		ext2fs_atomic_flag_names, inode_only_names
	};
	const struct ext2fs_atomic_flag_name *fp;
	size_t t;

	if (!size)
		return;
	buf[0] = 0;
	if (flags & EXT4_ATOMIC_FL)
		append(buf, size, EXT2FS_ATOMIC_FLAG_NAME);
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (fp = tables[t]; fp->flag; fp++)
			if ((flags & fp->flag) && fp->flag != EXT4_ATOMIC_FL)
				append(buf, size, fp->name);
}
