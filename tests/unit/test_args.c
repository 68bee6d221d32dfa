/*
 * test_args.c --- the command-line scanner of lib/stock and the atomic
 * option words of the library.
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "args.h"

#define MKE2FS_OPTS "b:cd:e:g:i:jl:m:no:qr:s:t:vC:DE:FG:I:J:KL:M:N:O:R:ST:U:Vz:"

static char *joined(char **argv)
{
	static char buf[1024];
	int i;

	buf[0] = 0;
	for (i = 0; argv[i]; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, argv[i]);
	}
	return buf;
}

static void test_scan_like_getopt(void)
{
	char *argv[] = { "mke2fs", "-qF", "-Oatomic_write,^resize_inode",
			 "img", "-t", "ext4", "-E", "atomic_write_unit=16k",
			 "64M", "--", "-odd", NULL };
	struct arg_list al;
	char **out;

	CU_ASSERT_EQUAL_FATAL(args_scan(&al, 11, argv, MKE2FS_OPTS), 0);
	CU_ASSERT_FALSE(al.bad);
	CU_ASSERT_EQUAL(args_count(&al, 'q'), 1);
	CU_ASSERT_EQUAL(args_count(&al, 'F'), 1);
	CU_ASSERT_STRING_EQUAL(args_last(&al, 'O'),
			       "atomic_write,^resize_inode");
	CU_ASSERT_STRING_EQUAL(args_last(&al, 't'), "ext4");
	CU_ASSERT_STRING_EQUAL(args_operand(&al, 0), "img");
	CU_ASSERT_STRING_EQUAL(args_operand(&al, 1), "64M");
	CU_ASSERT_STRING_EQUAL(args_operand(&al, 2), "-odd");
	CU_ASSERT_PTR_NULL(args_operand(&al, 3));
	out = args_build(&al);
	CU_ASSERT_STRING_EQUAL(joined(out), "mke2fs -q -F -O "
		"atomic_write,^resize_inode -t ext4 -E atomic_write_unit=16k "
		"-- img 64M -odd");
	args_free_argv(out);
	args_free(&al);
}

static void test_scan_errors(void)
{
	char *unknown[] = { "mke2fs", "-Z", "img", NULL };
	char *missing[] = { "mke2fs", "img", "-O", NULL };
	struct arg_list al;

	CU_ASSERT_EQUAL(args_scan(&al, 3, unknown, MKE2FS_OPTS), 0);
	CU_ASSERT_TRUE(al.bad);
	args_free(&al);
	CU_ASSERT_EQUAL(args_scan(&al, 3, missing, MKE2FS_OPTS), 0);
	CU_ASSERT_TRUE(al.bad);
	args_free(&al);
}

static void test_strip_feature(void)
{
	char list[64];
	int state = 0;

	strcpy(list, "metadata_csum,atomic_write,^resize_inode");
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_feature(list, &state), 1);
	CU_ASSERT_STRING_EQUAL(list, "metadata_csum,^resize_inode");
	CU_ASSERT_EQUAL(state, 1);
	strcpy(list, "Atomic_Write ^atomic_write");
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_feature(list, &state), 2);
	CU_ASSERT_STRING_EQUAL(list, "");
	CU_ASSERT_EQUAL(state, -1);
	strcpy(list, "extent,atomic_writes");
	state = 0;
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_feature(list, &state), 0);
	CU_ASSERT_STRING_EQUAL(list, "extent,atomic_writes");
	CU_ASSERT_EQUAL(state, 0);
}

static void test_strip_unit(void)
{
	char list[80], *value = NULL;

	strcpy(list, "lazy_itable_init=1,atomic_write_unit=16k,nodiscard");
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_unit_opt(list, &value), 1);
	CU_ASSERT_STRING_EQUAL(list, "lazy_itable_init=1,nodiscard");
	CU_ASSERT_STRING_EQUAL(value, "16k");
	strcpy(list, "atomic_write_unit=4k,atomic_write_unit");
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_unit_opt(list, &value), 2);
	CU_ASSERT_STRING_EQUAL(value, "");
	strcpy(list, "atomic_write_units=4k");
	CU_ASSERT_EQUAL(ext2fs_atomic_strip_unit_opt(list, &value), 0);
	free(value);
}

static void test_default_unit(void)
{
	struct ext2fs_atomic_devinfo dev;
	int warn;

	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 65536);
	CU_ASSERT_FALSE(warn);		/* an image file */
	dev.is_blockdev = 1;
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 65536);
	CU_ASSERT_TRUE(warn);		/* a device without atomic writes */
	dev.atomic_max = 16384;
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 16384);
	CU_ASSERT_FALSE(warn);
	dev.atomic_max = 1 << 20;
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 65536);
	dev.atomic_max = 2048;		/* less than a block: as if none */
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 65536);
	CU_ASSERT_TRUE(warn);
	dev.atomic_max = 24576;		/* not a power of two: round down */
	CU_ASSERT_EQUAL(ext2fs_atomic_default_unit(&dev, 4096, &warn), 16384);
}

static void test_check_device(void)
{
	struct ext2fs_atomic_devinfo dev;
	int none;

	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 65536, &none), 0);
	CU_ASSERT_TRUE(none);
	dev.is_blockdev = 1;
	dev.atomic_max = 65536;
	dev.start = 1 << 20;
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 65536, &none), 0);
	CU_ASSERT_FALSE(none);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 131072, &none),
			EXT2_ET_ATOMIC_DEV_MAX);
	dev.start = 264200 * 512ULL;
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 65536, &none),
			EXT2_ET_ATOMIC_DEV_START);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 4096, &none), 0);
	dev.start = 0;
	dev.align_offset = 3584;
	CU_ASSERT_EQUAL(ext2fs_atomic_check_device(&dev, 4096, &none),
			EXT2_ET_ATOMIC_DEV_ALIGN);
}

void add_args_tests(void)
{
	ADD_SUITE("command line",
		{ "scan like getopt, rebuild", test_scan_like_getopt },
		{ "unknown option, missing value", test_scan_errors },
		{ "strip atomic_write from -O", test_strip_feature },
		{ "strip atomic_write_unit from -E", test_strip_unit },
		{ "default unit from the device", test_default_unit },
		{ "device checks", test_check_device });
}
