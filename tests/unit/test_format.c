// SPDX-License-Identifier: GPL-2.0
/*
 * test_format.c --- the format accessors (FORMAT.md section 2).
 */

#include <string.h>

#include "unit.h"

static void test_feature_and_unit_byte(void)
{
	struct ext2_super_block sb;
	__u8 *raw = (__u8 *) &sb;

	memset(&sb, 0, sizeof(sb));
	CU_ASSERT_FALSE(ext2fs_atomic_has_feature(&sb));
	ext2fs_atomic_set_feature(&sb);
	CU_ASSERT_TRUE(ext2fs_atomic_has_feature(&sb));
	CU_ASSERT_EQUAL(sb.s_feature_compat, 0x2000);
	ext2fs_atomic_set_log_unit(&sb, 4);
	CU_ASSERT_EQUAL(raw[0x284], 4);
	CU_ASSERT_EQUAL(raw[0x285] | raw[0x286] | raw[0x287], 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_get_log_unit(&sb), 4);
	/* 0x284 is the first byte after s_orphan_file_inum. */
	CU_ASSERT_EQUAL((__u8 *) &sb.s_orphan_file_inum + 4, raw + 0x284);
	ext2fs_atomic_clear_feature(&sb);
	CU_ASSERT_FALSE(ext2fs_atomic_has_feature(&sb));
	CU_ASSERT_EQUAL(sb.s_feature_compat, 0);
}

static void test_validate_unit(void)
{
	struct ext2_super_block sb;

	memset(&sb, 0, sizeof(sb));
	sb.s_log_block_size = 2;		/* 4 KiB */
	sb.s_blocks_per_group = 32768;
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 0), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 15), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 16),
			EXT2_ET_ATOMIC_UNIT_TOO_BIG);
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 200),
			EXT2_ET_ATOMIC_UNIT_TOO_BIG);
	/* bigalloc, 64 KiB clusters: 16 blocks per cluster */
	sb.s_feature_ro_compat |= EXT4_FEATURE_RO_COMPAT_BIGALLOC;
	sb.s_log_cluster_size = 6;
	sb.s_blocks_per_group = 32768 * 16;
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 3),
			EXT2_ET_ATOMIC_UNIT_CLUSTER);
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 4), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_validate_unit(&sb, 8), 0);
}

static void test_check_super(void)
{
	struct ext2_super_block sb;

	memset(&sb, 0, sizeof(sb));
	sb.s_log_block_size = 0;		/* 1 KiB */
	sb.s_blocks_per_group = 8192;
	CU_ASSERT_EQUAL(ext2fs_atomic_check_super(&sb), 0);
	ext2fs_atomic_set_log_unit(&sb, 6);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_super(&sb),
			EXT2_ET_ATOMIC_UNIT_WITHOUT_FEATURE);
	ext2fs_atomic_set_feature(&sb);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_super(&sb), 0);
	ext2fs_atomic_set_log_unit(&sb, 14);	/* 16 MiB > a group */
	CU_ASSERT_EQUAL(ext2fs_atomic_check_super(&sb),
			EXT2_ET_ATOMIC_UNIT_TOO_BIG);
}

static void test_parse_size(void)
{
	unsigned long long b = 0;

	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("65536", &b), 0);
	CU_ASSERT_EQUAL(b, 65536);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("16k", &b), 0);
	CU_ASSERT_EQUAL(b, 16384);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("64K", &b), 0);
	CU_ASSERT_EQUAL(b, 65536);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("1m", &b), 0);
	CU_ASSERT_EQUAL(b, 1048576);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("1G", &b), 0);
	CU_ASSERT_EQUAL(b, 1ULL << 30);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("-4k", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("64kb", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("0", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("12x", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("99999999999999999999", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size("17179869184G", &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
	CU_ASSERT_EQUAL(ext2fs_atomic_parse_size(NULL, &b),
			EXT2_ET_ATOMIC_BAD_SIZE);
}

static void test_bytes_to_log(void)
{
	struct ext2_super_block sb;
	unsigned int log = 99;

	memset(&sb, 0, sizeof(sb));
	sb.s_log_block_size = 2;
	sb.s_blocks_per_group = 32768;
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 65536, &log), 0);
	CU_ASSERT_EQUAL(log, 4);
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 4096, &log), 0);
	CU_ASSERT_EQUAL(log, 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 2048, &log),
			EXT2_ET_ATOMIC_UNIT_BELOW_BLOCK);
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 49152, &log),
			EXT2_ET_ATOMIC_UNIT_NOT_POW2);
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 256ULL << 20, &log),
			EXT2_ET_ATOMIC_UNIT_TOO_BIG);
	CU_ASSERT_EQUAL(ext2fs_atomic_bytes_to_log(&sb, 128ULL << 20, &log),
			0);
	CU_ASSERT_EQUAL(log, 15);
}

static void test_inode_valid(void)
{
	struct test_img t;
	struct ext2_inode inode;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 4096, NULL, 65536), 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = LINUX_S_IFREG | 0644;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode), 0);
	inode.i_flags = EXT4_ATOMIC_FL | EXT4_EXTENTS_FL;
	CU_ASSERT_TRUE(ext2fs_atomic_inode_flagged(&inode));
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode), 0);
	inode.i_flags = EXT4_ATOMIC_FL;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_NOT_EXTENTS);
	inode.i_flags = EXT4_ATOMIC_FL | EXT4_INLINE_DATA_FL;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_INLINE_DATA);
	inode.i_flags = EXT4_ATOMIC_FL | EXT4_EXTENTS_FL | EXT3_JOURNAL_DATA_FL;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_DATA_JOURNAL);
	inode.i_flags = EXT4_ATOMIC_FL;
	inode.i_mode = LINUX_S_IFDIR | 0755;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode), 0);
	inode.i_mode = LINUX_S_IFLNK | 0777;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_BAD_TYPE);
	inode.i_mode = LINUX_S_IFCHR | 0600;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_BAD_TYPE);
	CU_ASSERT_EQUAL(ext2fs_atomic_unit_blocks(t.fs), 16);
	ext2fs_atomic_clear_feature(t.fs->super);
	inode.i_mode = LINUX_S_IFREG | 0644;
	inode.i_flags = EXT4_ATOMIC_FL | EXT4_EXTENTS_FL;
	CU_ASSERT_EQUAL(ext2fs_atomic_inode_valid(t.fs, &inode),
			EXT2_ET_ATOMIC_NO_FEATURE);
	CU_ASSERT_EQUAL(ext2fs_atomic_unit_blocks(t.fs), 1);
	test_img_free(&t);
}

/* The feature and unit survive a close and a reopen by libext2fs. */
static void test_enable_persists(void)
{
	struct test_img t;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 16384,
					    "-O metadata_csum", 1 << 20), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_enable(t.fs, 14),
			EXT2_ET_ATOMIC_UNIT_TOO_BIG);
	CU_ASSERT_EQUAL_FATAL(test_img_reopen(&t), 0);
	CU_ASSERT_TRUE(ext2fs_atomic_has_feature(t.fs->super));
	CU_ASSERT_EQUAL(ext2fs_atomic_get_log_unit(t.fs->super), 10);
	CU_ASSERT_EQUAL(ext2fs_atomic_unit_blocks(t.fs), 1024);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_super(t.fs->super), 0);
	test_img_free(&t);
}

void add_format_tests(void)
{
	ADD_SUITE("format",
		{ "feature bit and unit byte", test_feature_and_unit_byte },
		{ "unit validation", test_validate_unit },
		{ "superblock rules", test_check_super },
		{ "size parsing", test_parse_size },
		{ "bytes to log unit", test_bytes_to_log },
		{ "inode rules", test_inode_valid },
		{ "enable persists", test_enable_persists });
}
