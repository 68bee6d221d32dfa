// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c --- runs a fuzz target's entry function on saved inputs
 * (files, or every file of a folder), without libFuzzer: make check
 * replays the seeds and every reproducer with a plain build.
 */

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0) {
		perror(path);
		return 1;
	}
	rewind(f);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t) n) {
		perror(path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	char sub[4096];
	int err = 0;

	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	dir = opendir(path);
	while (dir && (d = readdir(dir)) && !err) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
		err = run_path(sub, count);
	}
	if (dir)
		closedir(dir);
	return err;
}

int main(int argc, char **argv)
{
	int i, count = 0, err = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc && !err; i++)
		err = run_path(argv[i], &count);
	fprintf(stderr, "%s: %d inputs replayed%s\n", argv[0], count,
		err ? ", stopped on an error" : "");
	return err;
}
