// SPDX-License-Identifier: GPL-2.0
/*
 * crash_model.c --- the reordering crash model: an epoch's write log and
 * the crash states made from it (see crash_model.h).
 *
 * A log record is a struct rec, then the piece's page as it was before
 * the write (CRASH_PAGE bytes), then the piece's data (len bytes; none
 * for a zeroing piece).  Applying restores, for every page the log
 * touches, the first saved content of that page, then writes the kept
 * pieces in log order.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_model.h"

#define REC_MAGIC	0x45324352u	/* "E2CR" */
#define REC_ZERO	1u		/* the piece writes zeros */

struct rec {
	uint32_t	magic;
	uint32_t	flags;
	uint64_t	off;		/* in the image */
	uint32_t	len;		/* of the piece, at most one page */
	uint32_t	pad;
};

/* Read all of len bytes at off; past the end of the file reads zeros. */
static int read_full(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pread(fd, (char *) buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += n;
	}
	memset((char *) buf + done, 0, len - done);
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pwrite(fd, (const char *) buf + done, len - done,
			   off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return 0;
}

/* One piece: the record, the page before the write, the data. */
static int log_piece(int logfd, int fd, off_t off, size_t len,
		     const void *data)
{
	size_t size = sizeof(struct rec) + CRASH_PAGE + (data ? len : 0);
	struct rec *r;
	char *p;
	int ret = -1;

	p = malloc(size);
	if (!p)
		return -1;
	r = (struct rec *) p;
	memset(r, 0, sizeof(*r));
	r->magic = REC_MAGIC;
	r->flags = data ? 0 : REC_ZERO;
	r->off = off;
	r->len = len;
	if (read_full(fd, p + sizeof(*r), CRASH_PAGE,
		      off - off % CRASH_PAGE))
		goto out;
	if (data)
		memcpy(p + sizeof(*r) + CRASH_PAGE, data, len);
	if (write(logfd, p, size) == (ssize_t) size)
		ret = 0;
out:
	free(p);
	return ret;
}

int crash_model_log(const char *log, int fd, off_t off, size_t len,
		    const void *data)
{
	const char *d = data;
	size_t n;
	int logfd, ret = 0;

	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return -1;
	while (len && !ret) {
		n = CRASH_PAGE - off % CRASH_PAGE;
		if (n > len)
			n = len;
		ret = log_piece(logfd, fd, off, n, d);
		off += n;
		len -= n;
		if (d)
			d += n;
	}
	close(logfd);
	return ret;
}

/* A log read into memory. */
struct piece {
	struct rec	r;
	const char	*page;		/* the page before the write */
	const char	*data;		/* NULL: zeros */
};

struct log {
	char		*buf;
	struct piece	*p;
	long		n;
};

static void log_free(struct log *l)
{
	free(l->buf);
	free(l->p);
}

static int log_read(const char *path, struct log *l)
{
	size_t size = 0, alloc = 0, pos;
	long max = 0;
	ssize_t got;
	struct rec r;
	void *tmp;
	int fd;

	memset(l, 0, sizeof(*l));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		if (size == alloc) {
			alloc = alloc ? 2 * alloc : 1 << 20;
			tmp = realloc(l->buf, alloc);
			if (!tmp)
				goto fail;
			l->buf = tmp;
		}
		got = read(fd, l->buf + size, alloc - size);
		if (got < 0)
			goto fail;
		if (!got)
			break;
		size += got;
	}
	close(fd);
	fd = -1;
	for (pos = 0; pos < size; l->n++) {
		if (size - pos < sizeof(r) + CRASH_PAGE)
			goto fail;
		memcpy(&r, l->buf + pos, sizeof(r));
		if (r.magic != REC_MAGIC || r.len > CRASH_PAGE ||
		    r.off % CRASH_PAGE + r.len > CRASH_PAGE)
			goto fail;
		if (l->n == max) {
			max = max ? 2 * max : 256;
			tmp = realloc(l->p, max * sizeof(*l->p));
			if (!tmp)
				goto fail;
			l->p = tmp;
		}
		l->p[l->n].r = r;
		l->p[l->n].page = l->buf + pos + sizeof(r);
		pos += sizeof(r) + CRASH_PAGE;
		l->p[l->n].data = NULL;
		if (!(r.flags & REC_ZERO)) {
			if (size - pos < r.len)
				goto fail;
			l->p[l->n].data = l->buf + pos;
			pos += r.len;
		}
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	log_free(l);
	return -1;
}

long crash_model_pieces(const char *log)
{
	struct log l;
	long n;

	if (log_read(log, &l))
		return -1;
	n = l.n;
	log_free(&l);
	return n;
}

static int piece_sectors(const struct rec *r)
{
	uint64_t first = r->off / CRASH_SECTOR;
	uint64_t last = (r->off + r->len - 1) / CRASH_SECTOR;

	return r->len ? (int) (last - first + 1) : 0;
}

int crash_model_piece_sectors(const char *log, long i)
{
	struct log l;
	int n = -1;

	if (log_read(log, &l))
		return -1;
	if (i >= 0 && i < l.n)
		n = piece_sectors(&l.p[i].r);
	log_free(&l);
	return n;
}

/* Bytes of piece r kept when it is torn after k sectors (k >= 1). */
static uint32_t torn_len(const struct rec *r, int k)
{
	uint64_t cut = (r->off / CRASH_SECTOR + k) * CRASH_SECTOR;

	if (cut >= r->off + r->len)
		return r->len;
	return cut - r->off;
}

/* xorshift64*: the random selector, reproducible from its seed. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* keep[i]: bytes of piece i to apply (0: dropped). */
static int choose(const struct log *l, const char *sel, uint32_t *keep)
{
	long i, a = -1;
	int k = 0;
	uint64_t seed;
	char *end;

	for (i = 0; i < l->n; i++)
		keep[i] = l->p[i].r.len;
	if (!strcmp(sel, "all"))
		return 0;
	if (!strcmp(sel, "none")) {
		memset(keep, 0, l->n * sizeof(*keep));
		return 0;
	}
	if (!strncmp(sel, "drop:", 5)) {
		a = strtol(sel + 5, &end, 10);
		if (*end || a < 0 || a >= l->n)
			return -1;
		keep[a] = 0;
		return 0;
	}
	if (!strncmp(sel, "tear:", 5)) {
		a = strtol(sel + 5, &end, 10);
		if (*end != ':' || a < 0 || a >= l->n)
			return -1;
		k = strtol(end + 1, &end, 10);
		if (*end || k < 1)
			return -1;
		keep[a] = torn_len(&l->p[a].r, k);
		return 0;
	}
	if (!strncmp(sel, "rand:", 5)) {
		seed = strtoull(sel + 5, &end, 10) * 2654435761ULL + 1;
		if (*end)
			return -1;
		for (i = 0; i < l->n; i++) {
			if (next_rand(&seed) & 1) {
				keep[i] = 0;
				continue;
			}
			k = piece_sectors(&l->p[i].r);
			if (k > 1 && next_rand(&seed) % 4 == 0)
				keep[i] = torn_len(&l->p[i].r,
					1 + next_rand(&seed) % (k - 1));
		}
		return 0;
	}
	return -1;
}

/* Put every page the log touches back as it was before the epoch. */
static int restore_pages(int fd, const struct log *l)
{
	uint64_t page;
	long i, j;

	for (i = 0; i < l->n; i++) {
		page = l->p[i].r.off - l->p[i].r.off % CRASH_PAGE;
		for (j = 0; j < i; j++)
			if (l->p[j].r.off - l->p[j].r.off % CRASH_PAGE == page)
				break;
		if (j == i && write_full(fd, l->p[i].page, CRASH_PAGE, page))
			return -1;
	}
	return 0;
}

int crash_model_apply(const char *image, const char *log,
		      const char *selector)
{
	static const char zeros[CRASH_PAGE];
	uint32_t *keep = NULL;
	struct log l;
	int fd = -1, ret = -1;
	long i;

	if (log_read(log, &l)) {
		fprintf(stderr, "crash_model: %s: not a crash log\n", log);
		return -1;
	}
	keep = calloc(l.n + 1, sizeof(*keep));
	if (!keep)
		goto out;
	if (choose(&l, selector, keep)) {
		fprintf(stderr, "crash_model: bad selector %s (%ld pieces)\n",
			selector, l.n);
		goto out;
	}
	fd = open(image, O_RDWR | O_CLOEXEC);
	if (fd < 0 || restore_pages(fd, &l))
		goto io;
	for (i = 0; i < l.n; i++)
		if (keep[i] && write_full(fd, l.p[i].data ? l.p[i].data : zeros,
					  keep[i], l.p[i].r.off))
			goto io;
	ret = 0;
	goto out;
io:
	fprintf(stderr, "crash_model: %s: %s\n", image, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(keep);
	log_free(&l);
	return ret;
}
