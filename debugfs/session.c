/*
 * session.c --- one stock debugfs run per command, with the session
 * carried between them (doc/debugfs.md).
 *
 * A stock run reads a small command file:
 *
 *	[open ...]  [set_current_time ...]  [chroot <r>]  [cd <c>]
 *	FENCE
 *	the user's line
 *	FENCE
 *	pwd
 *	params
 *
 * FENCE is a request stock does not know: it echoes "debugfs: FENCE" on
 * standard output and complains on standard error, which marks where
 * the user's part starts and ends on both streams (stock's -f mode does
 * not buffer either).  Only that part is relayed; pwd and params tell
 * the new current directory, root and open state.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session.h"
#include "stock.h"

#define FENCE		"__e2atomic_fence__"
#define FENCE_ECHO	"debugfs: " FENCE "\n"
#define FENCE_ERR	"debugfs: Command not found " FENCE "\n"
#define FENCES		2

struct stream {
	int	fd;
	char	*buf;
	size_t	len, cap;
	int	phase;
};

struct run {
	struct session	*s;
	session_filter	filter;
	void		*priv;
	int		startup;	/* relay what precedes the fences */
	int		new_open;	/* params said a filesystem is open */
	char		*new_name;
	int		new_rw;
};

static int ends_with(const char *line, size_t len, const char *tail,
		     size_t *prefix)
{
	size_t n = strlen(tail);

	if (len < n || memcmp(line + len - n, tail, n))
		return 0;
	*prefix = len - n;
	return 1;
}

/* A piece of the user's standard output: filtered, or as it came. */
static void out_text(struct run *r, const char *text, size_t len)
{
	char *str;

	/* Binary output (cat, dump to stdout) is never a filter's. */
	if (!r->filter || memchr(text, 0, len)) {
		fwrite(text, 1, len, stdout);
		return;
	}
	str = strndup(text, len);
	if (str)
		r->filter(r->s, str, r->priv);
	free(str);
}

/*
 * stdout phases: 0 before the user's part, 1 its echo, 2 its output,
 * 3 pwd and params.  A fence may follow output that did not end its
 * line (cat of a binary file), so it is looked for at the end.
 */
static void out_line(struct run *r, struct stream *st, const char *line,
		     size_t len)
{
	struct session *s = r->s;
	const char *p;
	size_t prefix;

	if (ends_with(line, len, FENCE_ECHO, &prefix)) {
		if (prefix && st->phase == 2)
			out_text(r, line, prefix);
		st->phase = st->phase == 0 ? 1 : 3;
		return;
	}
	switch (st->phase) {
	case 0:
		if (r->startup)
			fwrite(line, 1, len, stdout);
		return;
	case 1:
		if (s->mode == MODE_FILE)
			fwrite(line, 1, len, stdout);
		st->phase = 2;
		return;
	case 2:
		out_text(r, line, len);
		return;
	}
	if ((p = strstr(line, "[pwd]   INODE:")))
		s->cwd = strtoul(p + 14, NULL, 10);
	else if ((p = strstr(line, "[root]  INODE:")))
		s->root = strtoul(p + 14, NULL, 10);
	else if (!strncmp(line, "Open mode: read-", 16))
		r->new_rw = !strncmp(line + 16, "write", 5);
	else if (!strncmp(line, "Filesystem in use: ", 19)) {
		p = line + 19;
		r->new_open = strcmp(p, "--none--\n") != 0;
		free(r->new_name);
		r->new_name = strndup(p, strcspn(p, "\n"));
	}
}

static void err_line(struct run *r, struct stream *st, const char *line,
		     size_t len)
{
	size_t prefix;

	if (ends_with(line, len, FENCE_ERR, &prefix)) {
		if (prefix && st->phase == 1)
			fwrite(line, 1, prefix, stderr);
		st->phase++;
		return;
	}
	if (st->phase == 1 || (st->phase == 0 && r->startup))
		fwrite(line, 1, len, stderr);
}

/* Hand each complete line (or the rest, at the end) to its handler. */
static int drain(struct run *r, struct stream *st, int is_err, int eof)
{
	char *nl, *line;
	ssize_t n = 0;

	if (!eof) {
		if (st->len + 4096 + 1 > st->cap) {
			char *b = realloc(st->buf, st->cap + 8192);

			if (!b)
				return -1;
			st->buf = b;
			st->cap += 8192;
		}
		n = read(st->fd, st->buf + st->len, 4096);
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		st->len += n;
	}
	while (st->len && ((nl = memchr(st->buf, '\n', st->len)) || !n)) {
		size_t len = nl ? (size_t) (nl - st->buf) + 1 : st->len;

		/* NUL-terminated copy for the parsers; len for the bytes. */
		line = malloc(len + 1);
		if (!line)
			return -1;
		memcpy(line, st->buf, len);
		line[len] = 0;
		(is_err ? err_line : out_line)(r, st, line, len);
		free(line);
		memmove(st->buf, st->buf + len, st->len - len);
		st->len -= len;
	}
	if (is_err)
		fflush(stderr);
	else
		fflush(stdout);
	return n == 0 ? 1 : 0;
}

static int write_script(struct session *s, const char *line, char *path)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/e2atomic-debugfs.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (s->open_line)
		fprintf(f, "%s\n", s->open_line);
	if (s->time_line)
		fprintf(f, "%s\n", s->time_line);
	if (s->root)
		fprintf(f, "chroot <%u>\n", s->root);
	if (s->cwd)
		fprintf(f, "cd <%u>\n", s->cwd);
	fprintf(f, "%s\n", FENCE);
	if (line)
		fprintf(f, "%s\n", line);
	fprintf(f, "%s\npwd\nparams\n", FENCE);
	return fclose(f);
}

static char **stock_argv(struct session *s, const char *script)
{
	char **argv = calloc(s->nr_open_opts + 5, sizeof(*argv));
	int n = 0, i;

	if (!argv)
		return NULL;
	argv[n++] = (char *) "debugfs";
	for (i = 0; i < s->nr_open_opts && !s->open_line && s->device; i++)
		argv[n++] = s->open_opts[i];
	argv[n++] = (char *) "-f";
	argv[n++] = (char *) script;
	if (s->device && !s->open_line)
		argv[n++] = (char *) s->device;
	return argv;
}

static pid_t spawn(char **argv, int out[2], int err[2])
{
	char path[4096];
	pid_t pid;

	if (stock_path("debugfs", path, sizeof(path))) {
		fprintf(stderr, "%s: cannot run the stock debugfs in %s: %s\n"
			"(set %s to the directory of the distribution's "
			"e2fsprogs)\n", "debugfs", stock_sbindir(),
			strerror(errno), STOCK_SBINDIR_ENV);
		return -1;
	}
	if (pipe(out) || pipe(err))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		execv(path, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	return pid;
}

static void relay(struct run *r, int out_fd, int err_fd)
{
	struct stream st[2] = { { out_fd, NULL, 0, 0, 0 },
				{ err_fd, NULL, 0, 0, 0 } };
	struct pollfd pfd[2];
	int open = 2, i;

	while (open) {
		for (i = 0; i < 2; i++) {
			pfd[i].fd = st[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (st[i].fd < 0 ||
			    !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (drain(r, &st[i], i, 0)) {
				drain(r, &st[i], i, 1);
				close(st[i].fd);
				st[i].fd = -1;
				open--;
			}
		}
	}
	for (i = 0; i < 2; i++) {
		if (st[i].fd >= 0)
			close(st[i].fd);
		free(st[i].buf);
	}
}

static int run_stock(struct session *s, const char *line,
		     session_filter filter, void *priv, int startup)
{
	struct run r = { s, filter, priv, startup, 0, NULL, 0 };
	struct sigaction ign, old_int, old_quit;
	char script[64], **argv;
	int out[2], err[2], status = -1;
	pid_t pid;

	if (write_script(s, line, script))
		return -1;
	argv = stock_argv(s, script);
	pid = argv ? spawn(argv, out, err) : -1;
	if (pid > 0) {
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigaction(SIGINT, &ign, &old_int);
		sigaction(SIGQUIT, &ign, &old_quit);
		relay(&r, out[0], err[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		status = WIFEXITED(status) ? WEXITSTATUS(status) - FENCES : -1;
	}
	unlink(script);
	free(argv);
	if (!r.new_open) {
		/* Closed, or never opened: later runs open nothing. */
		s->device = NULL;
		free(s->open_line);
		s->open_line = NULL;
		s->cwd = s->root = 0;
	}
	s->fs_open = r.new_open;
	s->rw = r.new_rw;
	free(s->fs_name);
	s->fs_name = r.new_name;
	return status < 0 ? 0 : status;
}

/* The last line of lines whose first word is one of names, or NULL. */
static char *last_request(const char *lines, const char *const *names)
{
	const char *p, *found = NULL, *const *n;
	size_t len;

	for (p = lines; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t\n");
		for (n = names; *n; n++)
			if (strlen(*n) == len && !strncmp(p, *n, len))
				found = p;
	}
	return found ? strndup(found, strcspn(found, "\n")) : NULL;
}

/*
 * Run request lines (one, or several separated by newlines) in one
 * stock debugfs; returns stock's count of unknown requests.  The state
 * they leave (open filesystem, current time) is kept for the next run.
 */
int session_run_stock(struct session *s, const char *lines,
		      session_filter filter, void *priv)
{
	static const char *const opens[] = { "open", "open_filesys", NULL };
	static const char *const times[] = { "set_current_time", NULL };
	char *was_name = s->fs_name ? strdup(s->fs_name) : NULL;
	char *open, *time;
	int was_open = s->fs_open, starting = s->starting, n;

	s->starting = 0;
	n = run_stock(s, lines, filter, priv, starting);
	open = last_request(lines, opens);
	if (open && s->fs_open && (!was_open || !was_name ||
				   strcmp(was_name, s->fs_name)))
		session_set_open_line(s, open);
	time = s->fs_open ? last_request(lines, times) : NULL;
	if (time) {
		free(s->time_line);
		s->time_line = time;
	}
	free(open);
	free(was_name);
	return n;
}

/*
 * The first run, where stock opens the command line's device and says
 * what it says about it once: now, or (later) with the first stock
 * request, which saves a run.
 */
int session_start(struct session *s, int now)
{
	if (!now) {
		s->starting = 1;
		return 0;
	}
	s->starting = 0;
	return run_stock(s, NULL, NULL, NULL, 1);
}

/* Before our own work: the session must be known. */
void session_started(struct session *s)
{
	if (s->starting)
		session_start(s, 1);
}

void session_set_open_line(struct session *s, const char *line)
{
	char *p = strdup(line);
	char *opt;
	int i;

	free(s->open_line);
	s->open_line = p;
	if (!p)
		return;
	/* -s and -b of an open request, for our own opens. */
	s->superblock = 0;
	s->blocksize = 0;
	for (i = 0, opt = strstr(p, " -"); opt && i < 64;
	     opt = strstr(opt + 1, " -"), i++) {
		if (opt[2] == 's')
			s->superblock = strtoull(opt + 3, NULL, 0);
		else if (opt[2] == 'b')
			s->blocksize = strtoul(opt + 3, NULL, 0);
	}
}

void session_free(struct session *s)
{
	free(s->open_line);
	free(s->time_line);
	free(s->fs_name);
}

/*
 * Open the session's filesystem for one of our commands, with stock's
 * messages when it cannot be done (none if cmd is NULL).  rw: the
 * command writes.
 */
errcode_t session_open_fs(struct session *s, const char *cmd, int rw,
			  ext2_filsys *ret)
{
	int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SOFTSUPP_FEATURES |
		    EXT2_FLAG_IGNORE_CSUM_ERRORS;
	errcode_t retval;

	*ret = NULL;
	session_started(s);
	if (!s->fs_open) {
		if (cmd)
			com_err(cmd, 0, "Filesystem not open");
		return EXT2_ET_BAD_DEVICE_NAME;
	}
	if (rw && !s->rw) {
		if (cmd)
			com_err(cmd, 0, "Filesystem opened read/only");
		return EXT2_ET_RO_FILSYS;
	}
	if (rw)
		flags |= EXT2_FLAG_RW;
	retval = ext2fs_open(s->fs_name, flags, s->superblock,
			     s->superblock ? s->blocksize : 0,
			     unix_io_manager, ret);
	/* Readers need no bitmaps (catastrophic mode may have none). */
	if (!retval && rw)
		retval = ext2fs_read_bitmaps(*ret);
	if (retval) {
		if (cmd)
			com_err(cmd, retval, "while opening %s", s->fs_name);
		if (*ret)
			ext2fs_free(*ret);
		*ret = NULL;
	}
	return retval;
}

/* Write back only what changed: an unchanged image keeps its bytes. */
void session_close_fs(ext2_filsys fs, int changed)
{
	if (!fs)
		return;
	if (changed)
		ext2fs_close_free(&fs);
	else
		ext2fs_free(fs);
}

/* A name as stock takes it: "<ino>", or a path from cwd and root. */
errcode_t session_lookup(struct session *s, ext2_filsys fs,
			 const char *name, ext2_ino_t *ino)
{
	size_t len = strlen(name);
	char *end;

	if (len > 2 && name[0] == '<' && name[len - 1] == '>') {
		*ino = strtoul(name + 1, &end, 0);
		if (end != name + len - 1 || !*ino ||
		    *ino > fs->super->s_inodes_count)
			return EXT2_ET_BAD_INODE_NUM;
		return 0;
	}
	return ext2fs_namei(fs, s->root ? s->root : EXT2_ROOT_INO,
			    s->cwd ? s->cwd : EXT2_ROOT_INO, name, ino);
}
