/*
 * sbview.h --- the stock view of an atomic_write superblock.
 */

#ifndef E2ATOMIC_SBVIEW_H
#define E2ATOMIC_SBVIEW_H

#include <stddef.h>
#include <ext2fs/ext2fs.h>

#define SBVIEW_COPY_SIZE	1024

struct sbview {
	int			active;		/* the disk has atomic_write */
	__u8			log_unit;	/* the unit byte on disk */
	unsigned long long	*copies;	/* byte offsets of the copies */
	size_t			nr;
};

/* Reads the raw bytes [off, off + SBVIEW_COPY_SIZE) from the disk. */
typedef int (*sbview_fetch_func)(void *priv, unsigned long long off,
				 void *buf);

int sbview_setup(struct sbview *v, const void *primary);
void sbview_release(struct sbview *v);
void sbview_hide_copy(void *sb);
void sbview_show_copy(const struct sbview *v, void *sb);
int sbview_patch_read(const struct sbview *v, unsigned long long off,
		      void *data, size_t len, sbview_fetch_func fetch,
		      void *priv);
int sbview_patch_write(const struct sbview *v, unsigned long long off,
		       void *data, size_t len, sbview_fetch_func fetch,
		       void *priv, unsigned char *whole, size_t max_whole,
		       unsigned long long *whole_off, size_t *nr_whole);
size_t sbview_overlaps(const struct sbview *v, unsigned long long off,
		       size_t len);

#endif /* E2ATOMIC_SBVIEW_H */
