/*
 * super_list.c --- pass the stock superblock listing (dumpe2fs,
 * tune2fs -l, debugfs stats and features) through, naming atomic_write
 * where e2p says FEATURE_C13 and adding the unit right after the
 * feature line.
 */

#include <stdio.h>
#include <string.h>

#include "ext2fs_atomic.h"
#include "stock.h"
#include "super_list.h"

#define FEATURES_LABEL	"Filesystem features:"

/* Print one line of a stock listing of sb (may be NULL), atomic-aware. */
void super_list_line(const char *line, const struct ext2_super_block *sb)
{
	const char *name = EXT2FS_ATOMIC_STOCK_FEATURE_NAME, *hit;
	char unit[64];
	errcode_t err;

	if (strncmp(line, FEATURES_LABEL, strlen(FEATURES_LABEL))) {
		fputs(line, stdout);
		return;
	}
	hit = strstr(line, name);
	if (!hit) {
		fputs(line, stdout);
		return;
	}
	printf("%.*s%s%s", (int) (hit - line), line,
	       EXT2FS_ATOMIC_FEATURE_NAME, hit + strlen(name));
	if (!sb)
		return;
	err = ext2fs_atomic_check_super(sb);
	if (err)
		snprintf(unit, sizeof(unit), "invalid (%u): %s",
			 ext2fs_atomic_get_log_unit(sb), error_message(err));
	else
		ext2fs_atomic_describe_unit(sb, unit, sizeof(unit));
	printf("%-26s%s\n", "Atomic write unit:", unit);
}

static void print_line(const char *line, void *priv)
{
	super_list_line(line, priv);
}

/*
 * Run the stock lister with standard output filtered; sb (may be NULL)
 * is the superblock it lists.  Returns the stock exit status.
 */
int super_list_run(const char *prog, char **argv,
		   const struct ext2_super_block *sb)
{
	int status;

	status = stock_run_capture(prog, argv, print_line, (void *) sb, 0);
	fflush(stdout);
	return status;
}
