/*
 * problem.c --- the atomic pass's problem table and fix_problem().
 *
 * As in e2fsck: detection is separate from policy.  Every check is
 * "if (cond && fix_problem(ctx, PR_CODE, &pctx))"; this table says what
 * each problem prints and asks, and fix_problem() alone decides, from
 * the mode (-n, -y, -p, interactive), whether to fix it.
 *
 * Message expansions: %i inode, %t its type, %w %W first and last
 * window, %c count, %p the problems, %N the unit byte, %U the unit, %m
 * the error message, %d the device.
 */

#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "atomic_fsck.h"

/* Flags */
#define PR_PREEN_OK	0x01	/* preen mode may fix it */
#define PR_HEADER	0x02	/* a pass header, not a problem */

/* Prompts */
enum prompt { PROMPT_NONE, PROMPT_FIX, PROMPT_CLEAR, PROMPT_RELOCATE,
	      PROMPT_QUESTION };

/* PROMPT_QUESTION: the message ends with its own question. */
static const char *prompts[] = { "", "Fix", "Clear", "Relocate", "" };
static const char *preen_msgs[] = { "", "FIXED", "CLEARED", "RELOCATED",
				    "FIXED" };

struct problem {
	int		code;
	const char	*msg;
	enum prompt	prompt;
	int		flags;
};

static const struct problem problem_table[] = {
	{ PR_A_PASS_HEADER,
	  "Pass A: Checking atomic write alignment\n",
	  PROMPT_NONE, PR_HEADER },
	{ PR_A_UNIT_INVALID,
	  "The atomic write unit (s_log_atomic_unit %N) is invalid: %m.\n"
	  "Reset it to %U",
	  PROMPT_QUESTION, 0 },
	{ PR_A_UNIT_NO_FEATURE,
	  "The atomic write unit is set (s_log_atomic_unit %N) but the "
	  "atomic_write feature is not.  ",
	  PROMPT_CLEAR, PR_PREEN_OK },
	{ PR_A_SET_FEATURE,
	  "%c inode(s) have the Atomic_Write flag but the filesystem lacks "
	  "the atomic_write feature.\nSet the feature, with the unit "
	  "already recorded (%U)",
	  PROMPT_QUESTION, 0 },
	{ PR_A_FLAG_NO_FEATURE,
	  "Inode %i has the Atomic_Write flag but the filesystem lacks the "
	  "atomic_write feature.  ",
	  PROMPT_CLEAR, 0 },
	{ PR_A_FLAG_BAD_TYPE,
	  "Inode %i (%t) has the Atomic_Write flag, which only regular files "
	  "and directories may carry.  ",
	  PROMPT_CLEAR, PR_PREEN_OK },
	{ PR_A_FLAG_NOT_EXTENTS,
	  "Inode %i has the Atomic_Write flag but does not use extents.  ",
	  PROMPT_CLEAR, PR_PREEN_OK },
	{ PR_A_FLAG_INLINE,
	  "Inode %i has the Atomic_Write flag but keeps its data inline.  ",
	  PROMPT_CLEAR, PR_PREEN_OK },
	{ PR_A_FLAG_JOURNAL_DATA,
	  "Inode %i has the Atomic_Write flag but journals its data.  ",
	  PROMPT_CLEAR, PR_PREEN_OK },
	{ PR_A_WINDOW_BROKEN,
	  "Inode %i, atomic write window(s) %w-%W break the alignment rule "
	  "(%p).  ",
	  PROMPT_RELOCATE, PR_PREEN_OK },
	{ PR_A_NO_ALIGNED_SPACE,
	  "No free aligned run for atomic write window(s) %w-%W of inode "
	  "%i.\nClear its Atomic_Write flag (the data is kept)",
	  PROMPT_QUESTION, 0 },
};

static const struct problem *find_problem(int code)
{
	size_t i;

	for (i = 0; i < sizeof(problem_table) / sizeof(problem_table[0]); i++)
		if (problem_table[i].code == code)
			return &problem_table[i];
	return NULL;
}

void clear_problem_context(struct problem_context *pctx)
{
	memset(pctx, 0, sizeof(*pctx));
}

static const char *type_name(__u16 mode)
{
	if (LINUX_S_ISLNK(mode))
		return "symbolic link";
	if (LINUX_S_ISCHR(mode))
		return "character device";
	if (LINUX_S_ISBLK(mode))
		return "block device";
	if (LINUX_S_ISFIFO(mode))
		return "fifo";
	if (LINUX_S_ISSOCK(mode))
		return "socket";
	return "unknown type";
}

static void print_problems(int mask)
{
	const char *sep = "";
	int bit;

	for (bit = 1; bit <= EXT2FS_ATOMIC_ALL_PROBLEMS; bit <<= 1)
		if (mask & bit) {
			printf("%s%s", sep, ext2fs_atomic_problem_name(bit));
			sep = ", ";
		}
}

static void expand(struct atomic_ctx *ctx, const char *msg,
		   struct problem_context *p)
{
	for (; *msg; msg++) {
		if (*msg != '%' || !msg[1]) {
			putchar(*msg);
			continue;
		}
		switch (*++msg) {
		case 'i': printf("%u", p->ino); break;
		case 't': printf("%s", type_name(p->mode)); break;
		case 'w': printf("%llu", (unsigned long long) p->first); break;
		case 'W': printf("%llu", (unsigned long long) p->last); break;
		case 'c': printf("%llu", (unsigned long long) p->count); break;
		case 'p': print_problems(p->problems); break;
		case 'N': printf("%u", p->log_unit); break;
		case 'U': printf("%s", p->unit); break;
		case 'm': printf("%s", error_message(p->errcode)); break;
		case 'd': printf("%s", ctx->device); break;
		default: putchar(*msg); break;
		}
	}
}

/* Interactive answer: y (the default) or n, e2fsck style. */
static int ask(const char *prompt)
{
	char line[64];
	const char *p;

	for (;;) {
		printf("%s<y>? ", prompt);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		for (p = line; isspace((unsigned char) *p) && *p != '\n'; p++)
			;
		if (*p == '\n' || tolower((unsigned char) *p) == 'y') {
			printf("yes\n\n");
			return 1;
		}
		if (tolower((unsigned char) *p) == 'n') {
			printf("no\n\n");
			return 0;
		}
	}
}

/*
 * Print the problem and decide, by mode, whether to fix it.  Preen mode
 * fixes what the table allows and halts on anything else, as e2fsck's
 * preenhalt() does.
 */
int fix_problem(struct atomic_ctx *ctx, int code, struct problem_context *pctx)
{
	const struct problem *pr = find_problem(code);
	int answer;

	if (!pr || ctx->halt)
		return 0;
	/*
	 * The header comes first on an atomic_write filesystem; on any
	 * other, only before a problem, so that a clean run prints what
	 * stock prints.
	 */
	if ((pr->flags & PR_HEADER) && !ctx->header_first)
		return 0;
	if (!ctx->header_done && !(ctx->options & OPT_PREEN)) {
		ctx->header_done = 1;
		expand(ctx, find_problem(PR_A_PASS_HEADER)->msg, pctx);
	}
	if (pr->flags & PR_HEADER)
		return 0;
	if (ctx->options & OPT_PREEN) {
		printf("%s: ", ctx->device);
		expand(ctx, pr->msg, pctx);
		if (!(pr->flags & PR_PREEN_OK)) {
			printf("\n\n%s: UNEXPECTED INCONSISTENCY; RUN fsck "
			       "MANUALLY.\n\t(i.e., without -a or -p options)\n",
			       ctx->device);
			ctx->halt = 1;
			ctx->status |= FSCK_UNCORRECTED;
			return 0;
		}
		printf("%s.\n", preen_msgs[pr->prompt]);
		return 1;
	}
	expand(ctx, pr->msg, pctx);
	if (ctx->options & OPT_NO) {
		printf("%s? no\n\n", prompts[pr->prompt]);
		answer = 0;
	} else if (ctx->options & OPT_YES) {
		printf("%s? yes\n\n", prompts[pr->prompt]);
		answer = 1;
	} else {
		answer = ask(prompts[pr->prompt]);
	}
	if (!answer)
		ctx->status |= FSCK_UNCORRECTED;
	return answer;
}
