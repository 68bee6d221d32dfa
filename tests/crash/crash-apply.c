// SPDX-License-Identifier: GPL-2.0
/*
 * crash-apply.c --- turn an image and an epoch's crash log (made by
 * crash_preload.so in the reordering model) into one crash state, for
 * tests/crash/sweep.  A thin command line over lib/support/crash_model.
 *
 *   crash-apply IMAGE LOG SELECTOR   apply (selectors: crash_model.h)
 *   crash-apply -n LOG               print the number of pieces
 *   crash-apply -s LOG I             print the sectors of piece I
 *
 * Exit 0, or 1 with a message on a bad log, selector or piece.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_model.h"

static int usage(void)
{
	fprintf(stderr, "usage: crash-apply IMAGE LOG SELECTOR | "
		"crash-apply -n LOG | crash-apply -s LOG I\n");
	return 2;
}

static int print_pieces(const char *log)
{
	long n = crash_model_pieces(log);

	if (n < 0) {
		fprintf(stderr, "crash-apply: %s: not a crash log\n", log);
		return 1;
	}
	printf("%ld\n", n);
	return 0;
}

static int print_sectors(const char *log, const char *piece)
{
	char *end;
	long i = strtol(piece, &end, 10);
	int n = *end ? -1 : crash_model_piece_sectors(log, i);

	if (n < 0) {
		fprintf(stderr, "crash-apply: %s: no piece %s\n", log, piece);
		return 1;
	}
	printf("%d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-n"))
		return print_pieces(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "-s"))
		return print_sectors(argv[2], argv[3]);
	if (argc == 4 && argv[1][0] != '-')
		return crash_model_apply(argv[1], argv[2], argv[3]) ? 1 : 0;
	return usage();
}
