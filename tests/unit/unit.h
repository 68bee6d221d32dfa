/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h --- shared declarations of the CUnit tests of the library.
 */

#ifndef E2ATOMIC_UNIT_H
#define E2ATOMIC_UNIT_H

#include <CUnit/CUnit.h>
#include "fsutil.h"

/* A scratch image with atomic_write on, opened read-write. */
struct test_img {
	char		path[256];
	ext2_filsys	fs;
	ext2fs_atomic_alloc_t ac;
};

int test_img_make(struct test_img *t, unsigned int blocksize,
		  unsigned long long blocks, const char *mkfs_opts,
		  unsigned long long unit_bytes);
void test_img_close(struct test_img *t);
int test_img_reopen(struct test_img *t);
void test_img_free(struct test_img *t);
void test_img_discard(struct test_img *t);
ext2_ino_t test_deep_file(struct test_img *t, const char *name,
			  int holey_first);
int test_stock_fsck(struct test_img *t);
ext2_ino_t test_atomic_file(struct test_img *t, const char *name,
			    __u64 nr_windows, __u64 size, unsigned int seed);
__u64 test_bad_windows(ext2_filsys fs, ext2_ino_t ino);
unsigned int test_rand(void);
void test_srand(unsigned int seed);

void add_format_tests(void);
void add_check_tests(void);
void add_alloc_tests(void);
void add_relocate_tests(void);
void add_scan_tests(void);
void add_crash_tests(void);
void add_flags_tests(void);
void add_shrink_tests(void);
void add_batch_tests(void);

#define ADD_SUITE(name, ...) do {					\
	CU_pSuite s = CU_add_suite(name, NULL, NULL);			\
	const struct { const char *n; CU_TestFunc f; } t[] = { __VA_ARGS__ }; \
	unsigned int i;							\
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)			\
		CU_add_test(s, t[i].n, t[i].f);				\
} while (0)

#endif /* E2ATOMIC_UNIT_H */
