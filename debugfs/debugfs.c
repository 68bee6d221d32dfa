/*
 * debugfs.c --- the debugfs front end: stock debugfs, one run per
 * command, plus the atomic commands (doc/debugfs.md).
 *
 * Command lines come from the terminal, -R or -f as in stock.  Each is
 * split into words only to decide who runs it: our commands
 * (atomic_cmds.c), stock commands with an atomic side (stat, stats,
 * write, fallocate...), "list_requests" (stock's list, then ours), or
 * plain stock.  A filesystem given on the command line that has neither
 * the atomic_write feature nor a unit byte is stock's alone: exec.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_cmds.h"
#include "stock.h"

#define DEBUGFS_OPTS	"iwcR:f:b:s:Vd:Dnz:"
#define MAX_WORDS	64
#define PROMPT		"debugfs:  "

/* Split a request line into words as libss does: blanks, "quotes". */
static int split(const char *line, char *buf, char **argv)
{
	int argc = 0, quoted = 0, in_word = 0;
	char *out = buf;
	const char *p;

	for (p = line; *p && argc < MAX_WORDS - 1; p++) {
		if (*p == '"') {
			if (quoted && p[1] == '"') {
				*out++ = *p++;
				continue;
			}
			quoted = !quoted;
			if (!in_word) {
				argv[argc++] = out;
				in_word = 1;
			}
			continue;
		}
		if (!quoted && (*p == ' ' || *p == '\t')) {
			if (in_word) {
				*out++ = 0;
				in_word = 0;
			}
			continue;
		}
		if (!in_word) {
			argv[argc++] = out;
			in_word = 1;
		}
		*out++ = *p;
	}
	*out = 0;
	argv[argc] = NULL;
	return argc;
}

/* list_requests: our commands go just before libss's own requests. */
static void help_filter(struct session *s, const char *line, void *priv)
{
	int *done = priv;

	(void) s;
	if (!*done && !strncmp(line, "help ", 5)) {
		atomic_print_help();
		*done = 1;
	}
	fputs(line, stdout);
}

static int is_one_of(const char *word, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(word, *names))
			return 1;
	return 0;
}

/* Run one request line; returns what it adds to the exit status. */
static int execute(struct session *s, const char *line, int *quit)
{
	static const char *const lists[] = { "list_requests", "lr", "?",
					     NULL };
	static const char *const quits[] = { "quit", "q", NULL };
	const struct atomic_cmd *c;
	char *buf, *argv[MAX_WORDS];
	int argc, n = 0, done = 0;

	buf = malloc(strlen(line) + 1);
	if (!buf)
		return 1;
	argc = split(line, buf, argv);
	if (argc && (atomic_cmd_find(atomic_cmds, argv[0]) ||
		     atomic_cmd_find(atomic_wrappers, argv[0])))
		session_started(s);
	if (argc && (c = atomic_cmd_find(atomic_cmds, argv[0]))) {
		if (s->mode == MODE_FILE)
			printf("debugfs: %s\n", line);
		fflush(stdout);
		n = c->func(s, argc, argv, line);
	} else if (argc && (c = atomic_cmd_find(atomic_wrappers, argv[0]))) {
		n = c->func(s, argc, argv, line);
	} else if (argc && is_one_of(argv[0], lists)) {
		n = session_run_stock(s, line, help_filter, &done);
	} else if (argc && s->mode == MODE_INTERACTIVE &&
		   is_one_of(argv[0], quits)) {
		*quit = 1;
	} else if (!argc && s->mode == MODE_FILE) {
		printf("debugfs: %s\n", line);
	} else if (argc) {
		n = session_run_stock(s, line, NULL, NULL);
	}
	fflush(stdout);
	free(buf);
	return n;
}

static char *chomp(char *line)
{
	line[strcspn(line, "\r\n")] = 0;
	return line;
}

/* Is the line stock's alone (nothing of ours before, after or in it)? */
static int plain_request(struct session *s, const char *line)
{
	char *buf = malloc(strlen(line) + 1), *argv[MAX_WORDS];
	int plain;

	if (!buf)
		return 0;
	plain = !split(line, buf, argv) || line[0] == '#' ||
		(!atomic_cmd_find(atomic_cmds, argv[0]) &&
		 (!atomic_cmd_find(atomic_wrappers, argv[0]) ||
		  atomic_batchable(s, argv[0])) &&
		 strcmp(argv[0], "list_requests") && strcmp(argv[0], "lr") &&
		 strcmp(argv[0], "?"));
	free(buf);
	return plain;
}

/*
 * -f: consecutive requests that are stock's alone (and, read-only,
 * stat and stats, whose filters work on the whole output) run in one
 * stock debugfs, which echoes and runs them as in one session; the
 * others one by one.
 */
static int source_file(struct session *s, const char *name)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	char *line = NULL, *batch = NULL;
	size_t cap = 0, len = 0;
	int status = 0, quit = 0;

	if (!f) {
		perror(name);
		exit(1);
	}
	for (;;) {
		int more = getline(&line, &cap, f) >= 0;

		if (more)
			chomp(line);
		if (more && plain_request(s, line)) {
			char *b = realloc(batch, len + strlen(line) + 2);

			if (b) {
				batch = b;
				len += sprintf(batch + len, "%s%s",
					       len ? "\n" : "", line);
				continue;
			}
		}
		if (len)
			status += atomic_run_batch(s, batch);
		len = 0;
		if (!more)
			break;
		if (line[0] == '#')
			printf("%s\n", line);
		else
			status += execute(s, line, &quit);
	}
	free(batch);
	free(line);
	if (f != stdin)
		fclose(f);
	return status;
}

static void interrupted(int sig)
{
	(void) sig;
}

/* The prompt loop; ^C abandons the line being typed, as in libss. */
static void listen(struct session *s)
{
	struct sigaction sa;
	char *line = NULL;
	size_t cap = 0;
	int quit = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupted;	/* no SA_RESTART: getline returns */
	sigaction(SIGINT, &sa, NULL);
	while (!quit) {
		fputs(PROMPT, stdout);
		fflush(stdout);
		errno = 0;
		if (getline(&line, &cap, stdin) < 0) {
			if (errno == EINTR && !feof(stdin)) {
				clearerr(stdin);
				putchar('\n');
				continue;
			}
			putchar('\n');
			break;
		}
		execute(s, chomp(line), &quit);
	}
	free(line);
}

/* Filesystems without atomic_write and unit are stock's. */
static int is_plain(const char *device, blk64_t superblock,
		    unsigned int blocksize, int image)
{
	struct ext2_super_block sb;

	if (ext2fs_atomic_read_super(device, image ? EXT2_FLAG_IMAGE_FILE : 0,
				     superblock, blocksize, &sb))
		return 1;
	return !ext2fs_atomic_has_feature(&sb) &&
	       !ext2fs_atomic_get_log_unit(&sb);
}

int main(int argc, char **argv)
{
	static char names[128][3];	/* "-w", "-c"... */
	struct session s;
	const char *request = NULL, *cmd_file = NULL;
	char **opts;
	int c, status, image = 0, quit = 0;

	memset(&s, 0, sizeof(s));
	ext2fs_atomic_init();
	opts = calloc(2 * argc + 1, sizeof(*opts));
	if (!opts) {
		perror(argv[0]);
		exit(1);
	}
	s.open_opts = opts;
	opterr = 0;
	while ((c = getopt(argc, argv, DEBUGFS_OPTS)) != EOF) {
		switch (c) {
		case 'R':
			request = optarg;
			continue;
		case 'f':
			cmd_file = optarg;
			continue;
		case 'V':
		case '?':
			stock_exec("debugfs", argv);
			break;
		case 's':
			s.superblock = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			s.blocksize = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			image = 1;
			break;
		}
		names[c & 127][0] = '-';
		names[c & 127][1] = c;
		opts[s.nr_open_opts++] = names[c & 127];
		if (strchr("bsdz", c))
			opts[s.nr_open_opts++] = optarg;
	}
	if (optind < argc) {
		s.device = argv[optind];
		if (is_plain(s.device, s.superblock, s.blocksize, image))
			stock_exec("debugfs", argv);
	}
	s.mode = request ? MODE_REQUEST : cmd_file ? MODE_FILE :
		 MODE_INTERACTIVE;
	session_start(&s, !request && !cmd_file);
	if (request) {
		status = execute(&s, request, &quit) ? 1 : 0;
	} else if (cmd_file) {
		status = source_file(&s, cmd_file);
	} else {
		listen(&s);
		status = 0;
	}
	if (s.starting)		/* nothing ran: stock still greets */
		session_start(&s, 1);
	free(opts);
	session_free(&s);
	return status;
}
