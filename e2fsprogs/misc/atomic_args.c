/*
 * atomic_args.c --- take the atomic words out of mke2fs' and tune2fs'
 * -O feature lists and -E (or mke2fs' old -R) extended option lists;
 * an emptied list is dropped from the line altogether.
 */

#include <stdio.h>
#include <string.h>

#include "atomic_args.h"
#include "ext2fs_atomic.h"

/* Returns 0, or -1 when memory runs out. */
int atomic_words_strip(struct arg_list *al, struct atomic_words *w)
{
	struct arg_item *it;
	char *off;
	int i, n;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < al->nr; i++) {
		it = &al->items[i];
		if (!it->value)
			continue;
		if (it->opt == 'O')
			n = ext2fs_atomic_strip_feature(it->value, &w->feature);
		else if (it->opt == 'E' || it->opt == 'R')
			n = ext2fs_atomic_strip_unit_opt(it->value, &w->unit);
		else
			continue;
		if (n < 0)
			return -1;
		if (n > 0)
			w->stripped = 1;
		if (n > 0 && !it->value[0])
			it->dropped = 1;
		if (it->opt != 'O' && (off = strstr(it->value, "offset=")))
			snprintf(w->offset, sizeof(w->offset), "%.*s",
				 (int) strcspn(off, ","), off);
	}
	return 0;
}

/* Are all the options left on the line among flags? */
int atomic_words_only(const struct arg_list *al, const char *flags)
{
	int i;

	for (i = 0; i < al->nr; i++)
		if (!al->items[i].dropped && al->items[i].opt &&
		    !strchr(flags, al->items[i].opt))
			return 0;
	return 1;
}

/* The default unit was taken for a device that writes nothing atomically. */
void atomic_default_warning(const char *device, unsigned long long unit)
{
	fprintf(stderr, "Warning: %s reports no atomic write support; using "
		"the default atomic write unit of %llu bytes.\n", device, unit);
}
