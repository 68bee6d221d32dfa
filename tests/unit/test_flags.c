// SPDX-License-Identifier: GPL-2.0
/*
 * test_flags.c --- the inode flag names (atomic_flags.c) against
 * libe2p's, and the on-disk flag reader's refusals (atomic_ondisk.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <e2p/e2p.h>

#include "unit.h"

/* What a printer writes for flags, as a string (caller frees). */
static char *printed(void (*print)(FILE *, unsigned long, int),
		     unsigned long flags, int long_form)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	print(f, flags, long_form);
	fclose(f);
	return buf;
}

static void e2p_print(FILE *f, unsigned long flags, int long_form)
{
	print_flags(f, flags, long_form ? PFOPT_LONG : 0);
}

static void ours_print(FILE *f, unsigned long flags, int long_form)
{
	ext2fs_atomic_print_flags(f, flags, long_form);
}

/* Every bit, alone and in random sets: stock's 22 columns, then W. */
static void test_same_as_libe2p(void)
{
	unsigned long flags;
	char *a, *b, *la, *lb;
	int i;

	test_srand(7);
	for (i = 0; i < 32 + 200; i++) {
		flags = i < 32 ? 1UL << i :
			((unsigned long) test_rand() << 16 ^ test_rand()) &
			0xffffffffUL;
		a = printed(e2p_print, flags & ~EXT4_ATOMIC_FL, 0);
		b = printed(ours_print, flags, 0);
		la = printed(e2p_print, flags & ~EXT4_ATOMIC_FL, 1);
		lb = printed(ours_print, flags, 1);
		CU_ASSERT_FATAL(a && b && la && lb);
		CU_ASSERT_EQUAL(strlen(b), 23);
		CU_ASSERT_EQUAL(strncmp(a, b, 22), 0);
		CU_ASSERT_EQUAL(b[22], flags & EXT4_ATOMIC_FL ? 'W' : '-');
		if (!(flags & EXT4_ATOMIC_FL)) {
			CU_ASSERT_STRING_EQUAL(la, lb);
		} else if (strcmp(la, "---")) {
			CU_ASSERT_TRUE(!strncmp(la, lb, strlen(la)) &&
				       !strcmp(lb + strlen(la),
					       ", Atomic_Write"));
		} else {
			CU_ASSERT_STRING_EQUAL(lb, "Atomic_Write");
		}
		free(a);
		free(b);
		free(la);
		free(lb);
	}
}

static void test_letters(void)
{
	const char *settable = "aAcCdDeFijmPsStTuxW";
	const char *p;

	for (p = settable; *p; p++)
		CU_ASSERT_NOT_EQUAL(ext2fs_atomic_flag_of_letter(*p), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_flag_of_letter('W'), 0x01000000);
	CU_ASSERT_EQUAL(ext2fs_atomic_flag_of_letter('a'), EXT2_APPEND_FL);
	CU_ASSERT_EQUAL(ext2fs_atomic_flag_of_letter('A'), EXT2_NOATIME_FL);
	/* Read-only in chattr (lsattr shows them), or unknown. */
	for (p = "EINVZBX"; *p; p++)
		CU_ASSERT_EQUAL(ext2fs_atomic_flag_of_letter(*p), 0);
}

static void test_describe(void)
{
	char buf[256];

	ext2fs_atomic_describe_flags(0x1080000, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Atomic_Write, Extents");
	ext2fs_atomic_describe_flags(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");
	ext2fs_atomic_describe_flags(EXT4_HUGE_FILE_FL | EXT2_APPEND_FL |
				     0x80000000, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Append_Only, Huge_File");
	ext2fs_atomic_describe_flags(0x1080000, buf, 8);
	CU_ASSERT_STRING_EQUAL(buf, "Atomic_");
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
		{ "columns and names as libe2p, plus W", test_same_as_libe2p },
		{ "chattr letters", test_letters },
		{ "debugfs names", test_describe },
		{ "on-disk reader without a device", test_ondisk_no_device });
}
