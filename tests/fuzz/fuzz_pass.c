// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_pass.c --- fuzz target: e2fsck's atomic pass, run as users run
 * it (our e2fsck -fy, then -fn), on a mutated copy of a small image
 * made by our tools (make-seeds).
 *
 * The pass is part of e2fsck (e2fsprogs/e2fsck/pass_atomic.c) and needs
 * pass 1's notes and pass 5's bitmaps, so the target runs the whole
 * program: $E2ATOMIC_BUILD/e2fsck/e2fsck (the ASan+UBSan build under
 * `make SANITIZE=1`), in a child process.  Invariants: neither run dies
 * of a signal (a sanitizer report aborts it); when the -fy run fixed
 * everything (exit status below 4), the -fn run after it finds nothing
 * atomic to report.  The rule checker itself is fuzzed in process by
 * fuzz_check.c; here libFuzzer sees no coverage of the child, so it
 * mutates the seeds blindly: the target is a robustness sweep of the
 * whole program over atomic-shaped damage.
 *
 * The base image is read once, from $FUZZ_BASE_IMAGE.  The input is a
 * list of 8-byte patches aimed at what the atomic pass reads:
 *	u8 kind, u8 index, u16 offset, u32 value (little-endian)
 * kind (mod 9):
 *	0  superblock byte (offset mod 1024) = value
 *	1  the unit byte = value
 *	2  i_flags of inode[index] ^= value
 *	3  i_block byte (offset mod 60) of inode[index] = value
 *	4  i_size_lo of inode[index] = value
 *	5  32-bit word (offset mod blocksize, aligned) of extent tree
 *	   block[index] = value
 *	6  any byte of the image ((index << 16 | offset) * 64 + value
 *	   >> 24, mod the size) = value
 *	7  i_mode of inode[index] = value
 *	8  the feature bit: toggled
 * where inode[] lists the image's in-use inodes from the root on and
 * block[] the extent tree blocks below their roots (index mod count).
 * The patched image goes to a temporary file (in $TMPDIR, /dev/shm
 * when it exists) that e2fsck checks.
 */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext2fs/ext2fs.h"
#include "ext2fs/ext2fs_atomic.h"
#include "fuzz.h"

#define MAX_INODES	64
#define MAX_BLOCKS	64

static unsigned char *base, *work;
static size_t base_size;
static unsigned int blocksize;
static __u64 inode_off[MAX_INODES];	/* byte offset of each inode */
static size_t nr_inodes;
static __u64 block_off[MAX_BLOCKS];	/* byte offset of each tree block */
static size_t nr_blocks;
static char device[64], output[80];
static char e2fsck[4096];

static void fail(const char *what, errcode_t err)
{
	fprintf(stderr, "fuzz_pass: %s: %s\n", what, error_message(err));
	exit(2);
}

static int note_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t cnt,
		      blk64_t ref, int off, void *priv)
{
	(void) fs; (void) ref; (void) off; (void) priv;
	if (cnt < 0 && nr_blocks < MAX_BLOCKS)
		block_off[nr_blocks++] = *blk * blocksize;
	return 0;
}

/* Where the inodes and tree blocks are, from the unmutated image. */
static void map_image(const char *path)
{
	ext2_filsys fs;
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t err;
	dgrp_t g;
	blk64_t tbl;

	err = ext2fs_open(path, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
	if (err)
		fail(path, err);
	blocksize = fs->blocksize;
	for (ino = EXT2_ROOT_INO; ino <= fs->super->s_inodes_count &&
	     nr_inodes < MAX_INODES; ino++) {
		if (ino > EXT2_ROOT_INO && ino < EXT2_FIRST_INO(fs->super))
			continue;
		if (ext2fs_read_inode(fs, ino, &inode) || !inode.i_links_count)
			continue;
		g = (ino - 1) / fs->super->s_inodes_per_group;
		tbl = ext2fs_inode_table_loc(fs, g);
		inode_off[nr_inodes++] = tbl * blocksize +
			(__u64) ((ino - 1) % fs->super->s_inodes_per_group) *
			EXT2_INODE_SIZE(fs->super);
		if (inode.i_flags & EXT4_EXTENTS_FL)
			ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY,
					      NULL, note_block, NULL);
	}
	ext2fs_free(fs);
}

static void remove_device(void)
{
	unlink(device);
	unlink(output);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_BASE_IMAGE");
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;

	(void) argc; (void) argv;
	ext2fs_atomic_init();
	if (!path) {
		fprintf(stderr, "fuzz_pass: set FUZZ_BASE_IMAGE\n");
		exit(2);
	}
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long) (base_size = ftell(f)) <= 0)
		fail(path, errno);
	rewind(f);
	base = malloc(base_size);
	work = malloc(base_size);
	if (!base || !work || fread(base, 1, base_size, f) != base_size)
		fail(path, EXT2_ET_SHORT_READ);
	fclose(f);
	map_image(path);
	if (!tmp)
		tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	snprintf(device, sizeof(device), "%.40s/fuzz_pass.XXXXXX", tmp);
	snprintf(output, sizeof(output), "%.40s/fuzz_pass.out.XXXXXX", tmp);
	fd = mkstemp(device);
	if (fd < 0)
		fail(device, errno);
	close(fd);
	fd = mkstemp(output);
	if (fd < 0)
		fail(output, errno);
	close(fd);
	atexit(remove_device);
	path = getenv("E2ATOMIC_BUILD");
	snprintf(e2fsck, sizeof(e2fsck), "%s/e2fsck/e2fsck",
		 path ? path : "../build/e2fsprogs/build");
	if (access(e2fsck, X_OK))
		fail(e2fsck, errno);
	return 0;
}

static void put32(__u64 off, __u32 v)
{
	if (off + 4 <= base_size)
		memcpy(work + off, &v, 4);
}

static void apply(const uint8_t *p)
{
	__u32 v = p[4] | p[5] << 8 | p[6] << 16 | (__u32) p[7] << 24;
	unsigned int off = p[2] | p[3] << 8;
	struct ext2_super_block *sb = (void *) (work + 1024);
	__u64 ino = inode_off[p[1] % nr_inodes];
	__u32 w;

	switch (p[0] % 9) {
	case 0:
		work[1024 + off % 1024] = v;
		break;
	case 1:
		ext2fs_atomic_set_log_unit(sb, v);
		break;
	case 2:
		memcpy(&w, work + ino + offsetof(struct ext2_inode, i_flags), 4);
		put32(ino + offsetof(struct ext2_inode, i_flags), w ^ v);
		break;
	case 3:
		work[ino + offsetof(struct ext2_inode, i_block) + off % 60] = v;
		break;
	case 4:
		put32(ino + offsetof(struct ext2_inode, i_size), v);
		break;
	case 5:
		if (nr_blocks)
			put32(block_off[p[1] % nr_blocks] +
			      (off % blocksize & ~3U), v);
		break;
	case 6:
		work[(((__u64) p[1] << 16 | off) * 64 + (v >> 24)) %
		     base_size] = v;
		break;
	case 7:
		memcpy(work + ino + offsetof(struct ext2_inode, i_mode), &v, 2);
		break;
	case 8:
		if (ext2fs_atomic_has_feature(sb))
			ext2fs_atomic_clear_feature(sb);
		else
			ext2fs_atomic_set_feature(sb);
		break;
	}
}

/* Our e2fsck with mode on the device; its output in output[]. */
static int run_e2fsck(const char *mode)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	FUZZ_ASSERT(pid >= 0);
	if (!pid) {
		fd = open(output, O_WRONLY | O_TRUNC);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(e2fsck, "e2fsck", mode, device, (char *) NULL);
		_exit(127);
	}
	FUZZ_ASSERT(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "fuzz_pass: e2fsck %s died of signal %d\n",
			mode, WTERMSIG(status));
		abort();
	}
	FUZZ_ASSERT(WEXITSTATUS(status) != 127);
	return WEXITSTATUS(status);
}

/* Does output[] report an atomic problem (any line after Pass A's)? */
static int atomic_problems(void)
{
	char line[512];
	int in_pass = 0, n = 0;
	FILE *f = fopen(output, "r");

	FUZZ_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Pass A: ", 8)) {
			in_pass = 1;
			continue;
		}
		if (in_pass && (strstr(line, "Atomic_Write") ||
				strstr(line, "atomic write") ||
				strstr(line, "atomic_write")))
			n++;
	}
	fclose(f);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;
	int fd;

	memcpy(work, base, base_size);
	for (i = 0; i + 8 <= size; i += 8)
		apply(data + i);
	fd = open(device, O_WRONLY | O_TRUNC);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, work, base_size) == (ssize_t) base_size);
	close(fd);

	if (run_e2fsck("-fy") < 4)
		FUZZ_ASSERT(run_e2fsck("-fn") >= 8 || !atomic_problems());
	else
		run_e2fsck("-fn");
	return 0;
}
