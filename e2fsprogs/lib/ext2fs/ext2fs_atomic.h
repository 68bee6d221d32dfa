/*
 * ext2fs_atomic.h --- the atomic write extension library.
 *
 * Everything the e2fsprogs-atomic tools know about atomic files lives
 * behind this header: the on-disk items of doc/FORMAT (the compat
 * feature, the unit byte, the inode flag), the alignment rule checker,
 * the aligned allocator, the window relocator and the atomic inode
 * enumerator.  It is part of libext2fs; the on-disk names themselves
 * (EXT4_FEATURE_COMPAT_ATOMIC_WRITE, s_log_atomic_unit, EXT4_ATOMIC_FL)
 * are in ext2_fs.h.
 */

#ifndef EXT2FS_ATOMIC_H
#define EXT2FS_ATOMIC_H

#include <stdio.h>
#include <sys/types.h>
#include <ext2fs/ext2fs.h>
#include <ext2fs/atomic_err.h>

#ifdef __cplusplus
extern "C" {
#endif

/* On-disk values (FORMAT.md section 2) */
#define EXT2FS_ATOMIC_FEATURE_NAME		"atomic_write"
#define EXT2FS_ATOMIC_FLAG_NAME			"Atomic_Write"
#define EXT2FS_ATOMIC_FLAG_LETTER		'W'
#define EXT2FS_ATOMIC_DEFAULT_UNIT_BYTES	65536
#define EXT2FS_ATOMIC_UNIT_OPT			"atomic_write_unit"

/*
 * Format accessors (atomic_format.c)
 */
int ext2fs_atomic_has_feature(const struct ext2_super_block *sb);
void ext2fs_atomic_set_feature(struct ext2_super_block *sb);
void ext2fs_atomic_clear_feature(struct ext2_super_block *sb);
__u8 ext2fs_atomic_get_log_unit(const struct ext2_super_block *sb);
void ext2fs_atomic_set_log_unit(struct ext2_super_block *sb, __u8 log_unit);
errcode_t ext2fs_atomic_validate_unit(const struct ext2_super_block *sb,
				      unsigned int log_unit);
errcode_t ext2fs_atomic_check_super(const struct ext2_super_block *sb);
blk64_t ext2fs_atomic_unit_blocks(ext2_filsys fs);
errcode_t ext2fs_atomic_enable(ext2_filsys fs, unsigned int log_unit);
void ext2fs_atomic_disable(ext2_filsys fs);
errcode_t ext2fs_atomic_parse_size(const char *str,
				   unsigned long long *bytes);
errcode_t ext2fs_atomic_bytes_to_log(const struct ext2_super_block *sb,
				     unsigned long long bytes,
				     unsigned int *log_unit);
int ext2fs_atomic_inode_flagged(const struct ext2_inode *inode);
void ext2fs_atomic_describe_unit(const struct ext2_super_block *sb,
				 char *buf, size_t size);
errcode_t ext2fs_atomic_inode_valid(ext2_filsys fs,
				    const struct ext2_inode *inode);

/*
 * The rule checker (atomic_check.c)
 *
 * A violation names a range of consecutive windows of one file that
 * all break the rule in the same ways.  Windows are numbered from the
 * start of the file: window k covers logical blocks [k*U, (k+1)*U).
 */
#define EXT2FS_ATOMIC_HOLE		0x0001	/* unmapped block inside */
#define EXT2FS_ATOMIC_MISALIGNED	0x0002	/* pblk % U != lblk % U */
#define EXT2FS_ATOMIC_DISCONTIGUOUS	0x0004	/* two physical runs */
#define EXT2FS_ATOMIC_PAST_EOF		0x0008	/* written block past EOF */
#define EXT2FS_ATOMIC_ALL_PROBLEMS	0x000f

struct ext2fs_atomic_violation {
	__u64	first_window;
	__u64	nr_windows;
	int	problems;	/* EXT2FS_ATOMIC_* mask */
};

typedef int (*ext2fs_atomic_violation_func)(ext2_ino_t ino,
			const struct ext2fs_atomic_violation *v, void *priv);

/* The checker's state machine, usable without an extent tree. */
struct ext2fs_atomic_checker {
	blk64_t		unit;		/* U, in blocks */
	blk64_t		eof_lblk;	/* first logical block wholly past EOF */
	ext2_ino_t	ino;
	int		window_open;
	__u64		cur_window;
	blk64_t		next_lblk;	/* expected next logical block */
	blk64_t		next_pblk;	/* its expected physical block */
	int		cur_problems;
	__u64		nr_bad;		/* windows that break the rule */
	struct ext2fs_atomic_violation pending;	/* not yet reported */
	ext2fs_atomic_violation_func func;
	void		*priv;
	int		stop;		/* func asked to stop */
};

void ext2fs_atomic_checker_init(struct ext2fs_atomic_checker *c,
				blk64_t unit, __u64 i_size,
				unsigned int blocksize,
				ext2fs_atomic_violation_func func, void *priv);
void ext2fs_atomic_checker_add(struct ext2fs_atomic_checker *c,
			       blk64_t lblk, blk64_t pblk, __u32 len,
			       int uninit);
void ext2fs_atomic_checker_finish(struct ext2fs_atomic_checker *c);

errcode_t ext2fs_atomic_check_inode(ext2_filsys fs, ext2_ino_t ino,
				    struct ext2_inode *inode,
				    ext2fs_atomic_violation_func func,
				    void *priv, __u64 *nr_bad);
const char *ext2fs_atomic_problem_name(int problem);

/*
 * The aligned allocator (atomic_alloc.c)
 *
 * Finds runs of whole units that start at a multiple of the unit,
 * counted from block 0 of the filesystem, free in the block bitmap and
 * clear of every group's metadata.  Blocks freed through the context
 * stay taken until the change that unlinked them is on disk behind a
 * flush, so a relocation never overwrites blocks whose old mapping may
 * still be what the disk holds.
 *
 * The context also orders every change of the library (atomic_batch.c):
 * copies and new tree blocks are flushed before the inode that links
 * them is written, many files' switches share one flush.  Public calls
 * that change files commit before they return, unless batching is on;
 * close syncs (commits, flushes, frees what the switches unlinked) and
 * must come before the filesystem is closed.
 */
typedef struct ext2fs_atomic_alloc *ext2fs_atomic_alloc_t;

errcode_t ext2fs_atomic_alloc_open(ext2_filsys fs, ext2fs_atomic_alloc_t *ret);
errcode_t ext2fs_atomic_alloc_close(ext2fs_atomic_alloc_t ac);
void ext2fs_atomic_set_batching(ext2fs_atomic_alloc_t ac, int on);
errcode_t ext2fs_atomic_commit(ext2fs_atomic_alloc_t ac);
errcode_t ext2fs_atomic_sync(ext2fs_atomic_alloc_t ac);
errcode_t ext2fs_atomic_read_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
				   struct ext2_inode *inode);
errcode_t ext2fs_atomic_write_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
				    struct ext2_inode *inode);
ext2_filsys ext2fs_atomic_alloc_fs(ext2fs_atomic_alloc_t ac);
errcode_t ext2fs_atomic_find_run(ext2fs_atomic_alloc_t ac, blk64_t goal,
				 blk64_t limit, blk64_t len, blk64_t *ret);
errcode_t ext2fs_atomic_alloc_run(ext2fs_atomic_alloc_t ac, blk64_t goal,
				  blk64_t limit, blk64_t len, blk64_t *ret);
errcode_t ext2fs_atomic_free_blocks(ext2fs_atomic_alloc_t ac, blk64_t blk,
				    blk64_t len);
int ext2fs_atomic_is_metadata(ext2fs_atomic_alloc_t ac, blk64_t blk,
			      blk64_t len);
errcode_t ext2fs_atomic_alloc_loose_block(ext2fs_atomic_alloc_t ac,
					  blk64_t goal, blk64_t *ret);

/*
 * Aligned allocation for a file (atomic_falloc.c): map wholly unmapped
 * windows [first_window, first_window + nr_windows) to aligned runs,
 * unwritten, or zeroed and written with EXT2FS_ATOMIC_ALLOC_ZERO.
 */
#define EXT2FS_ATOMIC_ALLOC_ZERO	0x0001

errcode_t ext2fs_atomic_alloc_windows(ext2fs_atomic_alloc_t ac,
				      ext2_ino_t ino,
				      struct ext2_inode *inode,
				      __u64 first_window, __u64 nr_windows,
				      blk64_t goal, int flags);
errcode_t ext2fs_atomic_punch(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			      struct ext2_inode *inode, blk64_t start,
			      blk64_t end);

/*
 * The window relocator (atomic_relocate.c)
 */
typedef void (*ext2fs_atomic_progress_func)(ext2_ino_t ino, __u64 done,
					    __u64 total, void *priv);

struct ext2fs_atomic_reloc_stats {
	__u64	windows_moved;
	__u64	blocks_copied;
};

errcode_t ext2fs_atomic_move_windows(ext2fs_atomic_alloc_t ac,
				     ext2_ino_t ino,
				     struct ext2_inode *inode,
				     __u64 first_window, __u64 nr_windows,
				     blk64_t goal, blk64_t limit,
				     struct ext2fs_atomic_reloc_stats *st);
errcode_t ext2fs_atomic_relocate_range(ext2fs_atomic_alloc_t ac,
				       ext2_ino_t ino,
				       struct ext2_inode *inode,
				       __u64 first, __u64 n,
				       struct ext2fs_atomic_reloc_stats *st);
errcode_t ext2fs_atomic_relocate_inode(ext2fs_atomic_alloc_t ac,
				       ext2_ino_t ino,
				       ext2fs_atomic_progress_func progress,
				       void *priv,
				       struct ext2fs_atomic_reloc_stats *st);


/*
 * Shrinking (atomic_shrink.c)
 *
 * The plan of a shrink to end blocks: the windows of atomic files that
 * reach at or beyond end, or into the area below end that the resize
 * itself needs (keep_out: the backup superblock and descriptors a
 * sparse_super2 last group gains), must move to free aligned runs
 * below end, clear of keep_out.  resize2fs's block mover moves them;
 * the plan and the minimum say beforehand whether they fit.
 */
struct ext2fs_atomic_shrink_plan {
	blk64_t	end;		/* blocks after the resize */
	blk64_t	keep_out;	/* first block of the needed area (0: none) */
	blk64_t	keep_out_len;
	__u64	windows;	/* windows that must move */
	__u64	slots;		/* free aligned units below end */
};

errcode_t ext2fs_atomic_resize_end(ext2_filsys fs, blk64_t requested,
				   blk64_t *end);
errcode_t ext2fs_atomic_shrink_plan(ext2fs_atomic_alloc_t ac, blk64_t end,
				    struct ext2fs_atomic_shrink_plan *plan);
errcode_t ext2fs_atomic_shrink_min(ext2fs_atomic_alloc_t ac, blk64_t floor,
				   blk64_t *min);

/*
 * The atomic inode enumerator (atomic_scan.c)
 *
 * Calls func for every in-use inode that carries EXT4_ATOMIC_FL.
 * A non-zero return from func stops the scan.
 */
typedef int (*ext2fs_atomic_inode_func)(ext2_filsys fs, ext2_ino_t ino,
					struct ext2_inode *inode, void *priv);

errcode_t ext2fs_atomic_scan_inodes(ext2_filsys fs,
				    ext2fs_atomic_inode_func func,
				    void *priv);
errcode_t ext2fs_atomic_count_inodes(ext2_filsys fs, ext2_ino_t *count);

/*
 * The on-disk inode flags of a file on a mounted filesystem
 * (atomic_ondisk.c), for kernels whose FS_IOC_GETFLAGS does not report
 * Atomic_Write.  The context keeps the last filesystem open.
 */
typedef struct ext2fs_atomic_ondisk *ext2fs_atomic_ondisk_t;

errcode_t ext2fs_atomic_ondisk_flags(ext2fs_atomic_ondisk_t *ctx,
				     dev_t dev, ext2_ino_t ino, __u32 *flags);
void ext2fs_atomic_ondisk_close(ext2fs_atomic_ondisk_t ctx);

/* Library-wide setup: register the error table (once per process). */
void ext2fs_atomic_init(void);

#ifdef __cplusplus
}
#endif

#endif /* EXT2FS_ATOMIC_H */
