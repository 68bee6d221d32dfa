/*
 * atomic_args.h --- the atomic words on mke2fs' and tune2fs' lines.
 */

#ifndef E2ATOMIC_ATOMIC_ARGS_H
#define E2ATOMIC_ATOMIC_ARGS_H

#include "args.h"

struct atomic_words {
	int	feature;	/* 1: atomic_write, -1: ^atomic_write, 0: none */
	char	*unit;		/* atomic_write_unit=VALUE, or NULL */
	int	stripped;	/* something was taken out */
	char	offset[32];	/* "offset=N" from -E, for opening */
};

int atomic_words_strip(struct arg_list *al, struct atomic_words *w);
int atomic_words_only(const struct arg_list *al, const char *flags);
void atomic_default_warning(const char *device, unsigned long long unit);

#endif /* E2ATOMIC_ATOMIC_ARGS_H */
