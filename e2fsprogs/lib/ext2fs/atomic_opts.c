/*
 * atomic_opts.c --- the atomic words on a stock tool's command line.
 *
 * mke2fs and tune2fs take "atomic_write" in their -O feature lists and
 * "atomic_write_unit=SIZE" in their -E extended option lists.  The
 * stock programs know neither, so the front ends take them out before
 * handing the lists on.  Lists are separated by commas (e2p also
 * accepts blanks); the rebuilt list uses commas.
 */

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "ext2fs_atomic.h"

#define SEPARATORS ", \t"

/* Rebuild list in place from its words, leaving out those drop() takes. */
static int filter_words(char *list, int (*drop)(const char *, void *),
			void *priv)
{
	char *copy, *word, *save = NULL;
	int removed = 0;
	size_t len = 0;

	copy = strdup(list);
	if (!copy)
		return -1;
	list[0] = 0;
	for (word = strtok_r(copy, SEPARATORS, &save); word;
	     word = strtok_r(NULL, SEPARATORS, &save)) {
		if (drop(word, priv)) {
			removed++;
			continue;
		}
		if (len)
			list[len++] = ',';
		strcpy(list + len, word);
		len += strlen(word);
	}
	free(copy);
	return removed;
}

static int drop_feature(const char *word, void *priv)
{
	int *state = priv;

	if (!strcasecmp(word, EXT2FS_ATOMIC_FEATURE_NAME)) {
		*state = 1;
		return 1;
	}
	if (word[0] == '^' &&
	    !strcasecmp(word + 1, EXT2FS_ATOMIC_FEATURE_NAME)) {
		*state = -1;
		return 1;
	}
	return 0;
}

/*
 * Take "atomic_write" and "^atomic_write" out of a feature list.
 * *state becomes 1 or -1 for the last one found and is left alone if
 * there is none.  Returns how many words were taken out (-1: no memory).
 */
int ext2fs_atomic_strip_feature(char *list, int *state)
{
	return filter_words(list, drop_feature, state);
}

static int drop_unit(const char *word, void *priv)
{
	char **value = priv;
	size_t n = strlen(EXT2FS_ATOMIC_UNIT_OPT);

	if (strncmp(word, EXT2FS_ATOMIC_UNIT_OPT, n) ||
	    (word[n] && word[n] != '='))
		return 0;
	free(*value);
	*value = strdup(word[n] ? word + n + 1 : "");
	return 1;
}

/*
 * Take "atomic_write_unit=SIZE" out of an extended option list; *value
 * gets a copy of the last SIZE given ("" for a bare word).  Returns how
 * many were taken out (-1: no memory).
 */
int ext2fs_atomic_strip_unit_opt(char *list, char **value)
{
	int n = filter_words(list, drop_unit, value);

	return (n > 0 && !*value) ? -1 : n;
}

/* "65536 bytes (16 blocks)" for the unit recorded in sb. */
void ext2fs_atomic_describe_unit(const struct ext2_super_block *sb,
				 char *buf, size_t size)
{
	unsigned long long blocks = 1ULL <<
		(ext2fs_atomic_get_log_unit(sb) & 31);

	snprintf(buf, size, "%llu bytes (%llu block%s)",
		 blocks * EXT2_BLOCK_SIZE(sb), blocks, blocks == 1 ? "" : "s");
}

/* What a valid unit is on this filesystem, for messages. */
void ext2fs_atomic_describe_valid_units(const struct ext2_super_block *sb,
					char *buf, size_t size)
{
	unsigned long long bs = EXT2_BLOCK_SIZE(sb);

	snprintf(buf, size, "The unit must be a power of two from the block "
		 "size (%llu) to a block group (%llu bytes)%s.", bs,
		 bs * EXT2_BLOCKS_PER_GROUP(sb),
		 (sb->s_feature_ro_compat & EXT4_FEATURE_RO_COMPAT_BIGALLOC) ?
		 ", made of whole bigalloc clusters" : "");
}

/*
 * What a front end says after checking atomic files behind a stock
 * program that moves blocks: the windows relocated ("" when none), or,
 * when err is set, where and what to do (for com_err).
 */
void ext2fs_atomic_describe_repair(const struct ext2fs_atomic_repair_stats *rs,
				   errcode_t err, const char *device,
				   char *buf, size_t size)
{
	if (err)
		snprintf(buf, size, "while keeping atomic files aligned on "
			 "%s\nThe data is in place and no flag was cleared.  "
			 "Run e2fsck -f %s: it repairs the alignment of atomic "
			 "files.", device, device);
	else if (rs->reloc.windows_moved)
		snprintf(buf, size, "Relocated %llu atomic write window(s) of "
			 "%llu file(s) to keep them aligned",
			 (unsigned long long) rs->reloc.windows_moved,
			 (unsigned long long) rs->files);
	else if (size)
		*buf = 0;
}
