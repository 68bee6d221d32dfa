// SPDX-License-Identifier: GPL-2.0
/*
 * test_flags.c --- libe2p names Atomic_Write (the hook series), and the
 * on-disk flag reader's refusals (atomic_ondisk.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <e2p/e2p.h>

#include "unit.h"

/* What libe2p's print_flags() writes for flags, as a string. */
static char *printed(unsigned long flags, unsigned options)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	print_flags(f, flags, options);
	fclose(f);
	return buf;
}

/*
 * libe2p's flag table (patch 0003): Atomic_Write is the last column of
 * lsattr's short form, W, and has its long name.
 */
static void test_e2p_names_w(void)
{
	char *none = printed(0, 0), *w = printed(EXT4_ATOMIC_FL, 0);
	char *lng = printed(EXT4_ATOMIC_FL | EXT4_EXTENTS_FL, PFOPT_LONG);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(none);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lng);
	n = strlen(w);
	CU_ASSERT_EQUAL(strlen(none), n);
	CU_ASSERT(n > 0 && w[n - 1] == 'W');
	CU_ASSERT_EQUAL(strspn(w, "-"), n - 1);
	CU_ASSERT_STRING_EQUAL(lng, "Extents, Atomic_Write");
	free(none);
	free(w);
	free(lng);
}

/* A file on a filesystem without a block device: said, nothing read. */
static void test_ondisk_no_device(void)
{
	ext2fs_atomic_ondisk_t ctx = NULL;
	struct stat st;
	__u32 flags = 123;

	CU_ASSERT_EQUAL_FATAL(stat("/proc/self/status", &st), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_ondisk_flags(&ctx, st.st_dev,
						   st.st_ino, &flags),
			EXT2_ET_ATOMIC_NO_DEVICE);
	CU_ASSERT_EQUAL(flags, 0);
	ext2fs_atomic_ondisk_close(ctx);
	ext2fs_atomic_ondisk_close(NULL);
}

void add_flags_tests(void)
{
	ADD_SUITE("flags",
		{ "libe2p names W / Atomic_Write", test_e2p_names_w },
		{ "on-disk reader without a device", test_ondisk_no_device });
}
