/*
 * attr_common.h --- what chattr and lsattr share.
 */

#ifndef E2ATOMIC_ATTR_COMMON_H
#define E2ATOMIC_ATTR_COMMON_H

#include "ext2fs_atomic.h"

int attr_get_flags(const char *name, unsigned long *flags,
		   ext2fs_atomic_ondisk_t *ondisk);
char *attr_join(const char *dir, const char *name);
void attr_print_version(const char *prog);

#endif /* E2ATOMIC_ATTR_COMMON_H */
