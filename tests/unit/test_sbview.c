/*
 * test_sbview.c --- the stock view's superblock rewriting: where the
 * copies are, hiding and showing, reads and writes that cover a copy
 * wholly or in part, checksums on and off; and the I/O manager itself.
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "sbview.h"
#include "stockview_io.h"

/* An in-memory disk for fetch(). */
struct disk {
	unsigned char	*bytes;
	size_t		size;
};

static int fetch(void *priv, unsigned long long off, void *buf)
{
	struct disk *d = priv;

	if (off + SBVIEW_COPY_SIZE > d->size)
		return -1;
	memcpy(buf, d->bytes + off, SBVIEW_COPY_SIZE);
	return 0;
}

static int csum_ok(const struct ext2_super_block *sb)
{
	if (!(sb->s_feature_ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM))
		return 1;
	return sb->s_checksum == ext2fs_crc32c_le(~0U, (const void *) sb,
		offsetof(struct ext2_super_block, s_checksum));
}

/* The copy list equals libext2fs' own idea of where superblocks live. */
static void copies_match(unsigned int bs, const char *opts)
{
	struct test_img t;
	struct sbview v;
	unsigned char raw[SBVIEW_COPY_SIZE];
	dgrp_t g;
	size_t n = 0;
	int bad = 0;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, bs, 262144 / (bs / 1024) * 4,
					    opts, 4 * bs), 0);
	memset(&v, 0, sizeof(v));
	memcpy(raw, t.fs->super, sizeof(raw));
	CU_ASSERT_EQUAL(sbview_setup(&v, raw), 0);
	CU_ASSERT_TRUE(v.active);
	CU_ASSERT_EQUAL(v.log_unit, 2);
	for (g = 0; g < t.fs->group_desc_count; g++) {
		if (!ext2fs_bg_has_super(t.fs, g))
			continue;
		if (n >= v.nr || v.copies[n] != (g ? ext2fs_group_first_block2(
				t.fs, g) * (unsigned long long) bs : 1024))
			bad++;
		n++;
	}
	CU_ASSERT_EQUAL(n, v.nr);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(v.nr >= 2);
	sbview_release(&v);
	test_img_free(&t);
}

static void test_copies(void)
{
	copies_match(1024, NULL);
	copies_match(4096, NULL);
	copies_match(4096, "-O sparse_super2");
	copies_match(1024, "-O ^sparse_super,^resize_inode");
	copies_match(4096, "-O bigalloc -C 16384");
}

static void hide_show(const char *opts)
{
	struct test_img t;
	struct ext2_super_block orig, sb;
	struct sbview v;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 16384, opts, 65536), 0);
	ext2fs_superblock_csum_set(t.fs, t.fs->super);
	orig = *t.fs->super;
	memset(&v, 0, sizeof(v));
	CU_ASSERT_EQUAL(sbview_setup(&v, &orig), 0);
	sb = orig;
	sbview_hide_copy(&sb);
	CU_ASSERT_FALSE(ext2fs_atomic_has_feature(&sb));
	CU_ASSERT_EQUAL(ext2fs_atomic_get_log_unit(&sb), 0);
	CU_ASSERT_TRUE(csum_ok(&sb));
	if (!(orig.s_feature_ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM))
		CU_ASSERT_EQUAL(sb.s_checksum, orig.s_checksum);
	sbview_show_copy(&v, &sb);
	CU_ASSERT_EQUAL(memcmp(&sb, &orig, sizeof(sb)), 0);
	/* Something that is not a superblock is left alone. */
	memset(&sb, 0x5a, sizeof(sb));
	orig = sb;
	sbview_show_copy(&v, &sb);
	sbview_hide_copy(&sb);
	CU_ASSERT_EQUAL(memcmp(&sb, &orig, sizeof(sb)), 0);
	sbview_release(&v);
	test_img_free(&t);
}

static void test_hide_show(void)
{
	hide_show(NULL);			/* metadata_csum */
	hide_show("-O ^metadata_csum");
}

/* Reads and writes over an in-memory disk with two copies. */
static void test_partial_io(void)
{
	struct test_img t;
	struct disk d;
	struct sbview v;
	struct ext2_super_block *sb;
	unsigned char buf[4096], whole[8 * SBVIEW_COPY_SIZE];
	unsigned long long whole_off[8];
	size_t nr, i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 16384, NULL, 16384), 0);
	ext2fs_superblock_csum_set(t.fs, t.fs->super);
	d.size = 16384ULL * 1024;
	d.bytes = calloc(1, d.size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.bytes);
	memset(&v, 0, sizeof(v));
	CU_ASSERT_EQUAL(sbview_setup(&v, t.fs->super), 0);
	for (i = 0; i < v.nr; i++)
		memcpy(d.bytes + v.copies[i], t.fs->super, SBVIEW_COPY_SIZE);

	/* A whole block read covering the primary: hidden, checksum good. */
	memcpy(buf, d.bytes, 4096);
	CU_ASSERT_EQUAL(sbview_patch_read(&v, 0, buf, 4096, fetch, &d), 0);
	sb = (struct ext2_super_block *) (buf + 1024);
	CU_ASSERT_FALSE(ext2fs_atomic_has_feature(sb));
	CU_ASSERT_TRUE(csum_ok(sb));
	/* A read of the last 8 bytes only: they match the hidden copy. */
	memcpy(buf, d.bytes + 2048 - 8, 8);
	CU_ASSERT_EQUAL(sbview_patch_read(&v, 2040, buf, 8, fetch, &d), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 4, &sb->s_checksum, 4), 0);
	/* A read of the feature words only: the bit is gone. */
	memcpy(buf, d.bytes + 1024 + 0x5c, 4);
	CU_ASSERT_EQUAL(sbview_patch_read(&v, 1024 + 0x5c, buf, 4, fetch, &d),
			0);
	CU_ASSERT_EQUAL(*(__u32 *) buf & EXT4_FEATURE_COMPAT_ATOMIC_WRITE, 0);

	/* Stock writes the backup at group 1 whole, without the bit. */
	memcpy(buf, sb, SBVIEW_COPY_SIZE);
	CU_ASSERT_EQUAL(sbview_patch_write(&v, v.copies[1], buf,
					   SBVIEW_COPY_SIZE, fetch, &d, whole,
					   8, whole_off, &nr), 0);
	CU_ASSERT_EQUAL(nr, 0);
	CU_ASSERT_TRUE(ext2fs_atomic_has_feature(
		(struct ext2_super_block *) buf));
	CU_ASSERT_TRUE(csum_ok((struct ext2_super_block *) buf));

	/* A 2-byte write into the primary (write_byte style). */
	buf[0] = 0;
	buf[1] = 0;		/* s_feature_compat low half, bit cleared */
	CU_ASSERT_EQUAL(sbview_patch_write(&v, 1024 + 0x5c, buf, 2, fetch, &d,
					   whole, 8, whole_off, &nr), 0);
	CU_ASSERT_EQUAL(nr, 1);
	CU_ASSERT_EQUAL(whole_off[0], 1024);
	CU_ASSERT_EQUAL(buf[1] & 0x20, 0x20);	/* bit 13 is back */
	memcpy(d.bytes + 1024 + 0x5c, buf, 2);
	memcpy(d.bytes + whole_off[0], whole, SBVIEW_COPY_SIZE);
	sb = (struct ext2_super_block *) (d.bytes + 1024);
	CU_ASSERT_TRUE(ext2fs_atomic_has_feature(sb));
	CU_ASSERT_EQUAL(ext2fs_atomic_get_log_unit(sb), 4);
	CU_ASSERT_TRUE(csum_ok(sb));
	/* A write far from any copy is not touched. */
	CU_ASSERT_EQUAL(sbview_overlaps(&v, 4096, 4096), 0);
	free(d.bytes);
	sbview_release(&v);
	test_img_free(&t);
}

/* The manager in-process: the view hides, the disk keeps the bit. */
static void manager_round_trip(unsigned int bs, const char *opts)
{
	struct test_img t;
	ext2_filsys fs;
	struct sbview v;
	unsigned char raw[SBVIEW_COPY_SIZE];
	FILE *f;
	size_t i;
	int bad = 0;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, bs, 65536, opts, 4 * bs), 0);
	test_img_close(&t);
	stockview_set_real(unix_io_manager);
	CU_ASSERT_EQUAL_FATAL(ext2fs_open(t.path, EXT2_FLAG_RW |
			EXT2_FLAG_64BITS, 0, 0, stockview_io_manager, &fs), 0);
	CU_ASSERT_FALSE(ext2fs_atomic_has_feature(fs->super));
	CU_ASSERT_EQUAL(ext2fs_atomic_get_log_unit(fs->super), 0);
	strcpy((char *) fs->super->s_volume_name, "via-view");
	fs->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
	ext2fs_mark_super_dirty(fs);
	CU_ASSERT_EQUAL(ext2fs_close_free(&fs), 0);
	/* Every copy on disk: bit, unit, new label, good checksum. */
	f = fopen(t.path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fseek(f, 1024, SEEK_SET), 0);
	CU_ASSERT_EQUAL(fread(raw, 1, sizeof(raw), f), sizeof(raw));
	memset(&v, 0, sizeof(v));
	CU_ASSERT_EQUAL(sbview_setup(&v, raw), 0);
	CU_ASSERT_TRUE(v.nr >= 2);
	for (i = 0; i < v.nr; i++) {
		struct ext2_super_block *sb = (void *) raw;

		fseek(f, v.copies[i], SEEK_SET);
		if (fread(raw, 1, sizeof(raw), f) != sizeof(raw) ||
		    !ext2fs_atomic_has_feature(sb) ||
		    ext2fs_atomic_get_log_unit(sb) != 2 || !csum_ok(sb) ||
		    strcmp((char *) sb->s_volume_name, "via-view"))
			bad++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(bad, 0);
	sbview_release(&v);
	test_img_free(&t);
}

static void test_manager(void)
{
	manager_round_trip(4096, NULL);
	manager_round_trip(1024, "-O ^metadata_csum");
	manager_round_trip(1024, "-O sparse_super2");
}

void add_sbview_tests(void)
{
	ADD_SUITE("stock view",
		{ "superblock copies, every layout", test_copies },
		{ "hide and show, checksums on and off", test_hide_show },
		{ "reads and writes, whole and partial", test_partial_io },
		{ "the I/O manager keeps the bit on disk", test_manager });
}
