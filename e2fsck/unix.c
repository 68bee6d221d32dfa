/*
 * unix.c --- the e2fsck front end (also fsck.ext4, fsck.ext3, fsck.ext2).
 *
 * Data flow (doc/e2fsck.md): stock e2fsck runs first, with every option
 * the user gave, through the stock view (lib/stock/stockview.so
 * preloaded), so that it does its five passes on an atomic_write
 * filesystem; then Pass A, in the same mode, if stock did a full check.
 * The exit status is the OR of both.  A filesystem with neither the
 * feature nor the unit byte is handed to stock e2fsck untouched, unless
 * a full check may find atomic flags on it (those are checked too).
 */

#include <errno.h>
#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <blkid/blkid.h>

#include "args.h"
#include "atomic_fsck.h"
#include "stock.h"

#define E2FSCK_OPTS	"panyrcC:B:dE:fvtFVM:b:I:j:P:l:L:N:SsDkz:"

/*
 * Standard output of stock e2fsck passes through as it comes, except
 * its closing summary (and the blank lines and "*****" lines around
 * it), which is held back and printed after Pass A.  A "clean" summary
 * means stock skipped the check, and so does Pass A.
 */
struct relay {
	regex_t	summary, clean;
	char	**held;
	size_t	nr;
	int	skipped;
};

static void release(struct relay *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		fputs(r->held[i], stdout);
		free(r->held[i]);
	}
	r->nr = 0;
	fflush(stdout);
}

static void relay_line(const char *line, void *priv)
{
	struct relay *r = priv;
	char **held;

	if (!regexec(&r->clean, line, 0, NULL, 0))
		r->skipped = 1;
	if (line[0] == '\n' || !regexec(&r->summary, line, 0, NULL, 0)) {
		held = realloc(r->held, (r->nr + 1) * sizeof(*held));
		if (held && (held[r->nr] = strdup(line))) {
			r->held = held;
			r->nr++;
			return;
		}
		if (held)
			r->held = held;
	}
	release(r);
	fputs(line, stdout);
	fflush(stdout);
}

static int held_modified(const struct relay *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (strstr(r->held[i], "***** FILE SYSTEM WAS MODIFIED"))
			return 1;
	return 0;
}

/* Run stock e2fsck with the stock view preloaded. */
static int run_stock(char **argv, int interactive, struct relay *r)
{
	int status;

	if (interactive)
		status = stock_run_view("e2fsck", argv, NULL, NULL, 0);
	else
		status = stock_run_view("e2fsck", argv, relay_line, r, 0);
	return status < 0 ? FSCK_ERROR : status;
}

static int mode_of(const struct arg_list *al)
{
	if (args_count(al, 'n'))
		return OPT_NO;
	if (args_count(al, 'y'))
		return OPT_YES;
	if (args_count(al, 'p') || args_count(al, 'a'))
		return OPT_PREEN;
	return 0;
}

int main(int argc, char **argv)
{
	struct ext2_super_block before, after;
	struct atomic_ctx ctx;
	struct arg_list al;
	struct relay r;
	const char *arg;
	char *device;
	int status, fd, interactive, have_sb;

	memset(&ctx, 0, sizeof(ctx));
	memset(&r, 0, sizeof(r));
	ctx.program = basename(argv[0]);
	ext2fs_atomic_init();
	if (args_scan(&al, argc, argv, E2FSCK_OPTS) || al.bad ||
	    !args_operand(&al, 0) || args_operand(&al, 1) ||
	    args_count(&al, 'V'))
		stock_exec("e2fsck", argv);
	device = blkid_get_devname(NULL, args_operand(&al, 0), NULL);
	if (!device)
		stock_exec("e2fsck", argv);
	ctx.device = device;
	ctx.options = mode_of(&al);
	if ((arg = args_last(&al, 'b')))
		ctx.superblock = strtoull(arg, NULL, 0);
	if ((arg = args_last(&al, 'B')))
		ctx.blocksize = strtoul(arg, NULL, 0);
	ctx.undo_file = args_last(&al, 'z');

	have_sb = !ext2fs_atomic_read_super(device, 0, ctx.superblock,
		ctx.superblock ? ctx.blocksize : 0, &before);
	if (!have_sb)
		stock_exec("e2fsck", argv);
	/*
	 * Neither the feature nor the unit: stock alone, unless a forced
	 * check could meet atomic flags (Pass A then looks for them).
	 */
	if (!ext2fs_atomic_has_feature(&before) &&
	    !ext2fs_atomic_get_log_unit(&before) && !args_count(&al, 'f'))
		stock_exec("e2fsck", argv);

	interactive = !ctx.options;
	if (regcomp(&r.summary, "^[^ ]+: ([0-9]+/[0-9]+ files|\\*\\*\\*\\*\\*)",
		    REG_EXTENDED) ||
	    regcomp(&r.clean, "^[^ ]+: clean, [0-9]+/[0-9]+ files",
		    REG_EXTENDED)) {
		fprintf(stderr, "%s: regcomp failed\n", ctx.program);
		exit(FSCK_ERROR);
	}
	status = run_stock(argv, interactive, &r);
	if (status & (FSCK_ERROR | FSCK_USAGE | FSCK_CANCELED) ||
	    (status & FSCK_UNCORRECTED && ctx.options & OPT_PREEN)) {
		release(&r);
		stock_exit(status);
	}
	/* Interactive runs are not piped: a full check resets these. */
	if (interactive &&
	    !ext2fs_atomic_read_super(device, 0, 0, 0, &after) &&
	    after.s_lastcheck == before.s_lastcheck &&
	    after.s_mnt_count == before.s_mnt_count &&
	    before.s_mnt_count && !args_count(&al, 'f'))
		r.skipped = 1;
	/* A repair from a backup superblock rewrote the primary: use it. */
	if (!(ctx.options & OPT_NO))
		ctx.superblock = 0;
	if (!r.skipped) {
		if ((arg = args_last(&al, 'C')) && (fd = atoi(arg)) > 0)
			ctx.progress = fdopen(dup(fd), "w");
		ctx.header_first = ext2fs_atomic_has_feature(&before);
		status |= atomic_pass(&ctx);
		if (ctx.progress)
			fclose(ctx.progress);
		/* Stock says this outside preen mode only. */
		if (ctx.changed && !held_modified(&r) &&
		    !(ctx.options & OPT_PREEN))
			printf("\n%s: ***** FILE SYSTEM WAS MODIFIED *****\n",
			       ctx.device);
	}
	release(&r);
	free(r.held);
	regfree(&r.summary);
	regfree(&r.clean);
	args_free(&al);
	free(device);
	stock_exit(status);
	return 0;
}
