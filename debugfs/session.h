/*
 * session.h --- the debugfs front end's session: what stock debugfs
 * would keep in one process (open filesystem, current directory, root,
 * current time), carried from one stock run to the next.
 */

#ifndef E2ATOMIC_DEBUGFS_SESSION_H
#define E2ATOMIC_DEBUGFS_SESSION_H

#include "ext2fs_atomic.h"

enum session_mode { MODE_INTERACTIVE, MODE_REQUEST, MODE_FILE };

struct session {
	enum session_mode mode;
	char		**open_opts;	/* stock options that open: -w -c ... */
	int		nr_open_opts;
	const char	*device;	/* from the command line, or NULL */
	char		*open_line;	/* an "open" request to replay */
	char		*time_line;	/* a "set_current_time" to replay */
	ext2_ino_t	cwd, root;	/* 0: not known yet (the root) */
	int		fs_open, rw;	/* as stock's "params" says */
	char		*fs_name;
	blk64_t		superblock;	/* of the open filesystem */
	unsigned int	blocksize;
	int		starting;	/* the first stock run is still due */
};

/* Called for each line of a stock command's standard output. */
typedef void (*session_filter)(struct session *s, const char *line,
			       void *priv);

int session_run_stock(struct session *s, const char *line,
		      session_filter filter, void *priv);
int session_start(struct session *s, int now);
void session_started(struct session *s);
void session_free(struct session *s);
void session_set_open_line(struct session *s, const char *line);
errcode_t session_open_fs(struct session *s, const char *cmd, int rw,
			  ext2_filsys *ret);
void session_close_fs(ext2_filsys fs, int changed);
errcode_t session_lookup(struct session *s, ext2_filsys fs,
			 const char *name, ext2_ino_t *ino);

#endif /* E2ATOMIC_DEBUGFS_SESSION_H */
