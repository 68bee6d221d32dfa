/*
 * lsattr.c --- list file attributes, Atomic_Write ('W') included.
 *
 * The stock program's options, output and exit status (-R -V -a -d -l
 * -p -v), with one more column: W.  Flags come from the kernel
 * (FS_IOC_GETFLAGS through libe2p); a kernel that does not report
 * Atomic_Write hides it, so on a filesystem with atomic_write the bit
 * is also read from the inode on the device (doc/debugfs.md).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <e2p/e2p.h>

#include "ext2fs_atomic.h"
#include "attr_common.h"

static const char *program_name = "lsattr";
static int all, dirs_opt, long_opt, recursive, verbose, version_opt,
	   project_opt;
static ext2fs_atomic_ondisk_t ondisk;

static void usage(void)
{
	fprintf(stderr, "Usage: %s [-RVadlpv] [files...]\n", program_name);
	exit(1);
}

static int list_attributes(const char *name)
{
	unsigned long flags, project, version;

	if (attr_get_flags(name, &flags, &ondisk)) {
		com_err(program_name, errno, "While reading flags on %s", name);
		return -1;
	}
	if (project_opt) {
		if (fgetproject(name, &project) == -1) {
			com_err(program_name, errno,
				"While reading project on %s", name);
			return -1;
		}
		printf("%5lu ", project);
	}
	if (version_opt) {
		if (fgetversion(name, &version) == -1) {
			com_err(program_name, errno,
				"While reading version on %s", name);
			return -1;
		}
		printf("%-10lu ", version);
	}
	if (long_opt) {
		printf("%-28s ", name);
		ext2fs_atomic_print_flags(stdout, flags, 1);
		fputc('\n', stdout);
	} else {
		ext2fs_atomic_print_flags(stdout, flags, 0);
		printf(" %s\n", name);
	}
	return 0;
}

static int dir_entry(const char *dir, struct dirent *de, void *priv);

static int list_args(const char *name)
{
	struct stat st;

	if (lstat(name, &st) == -1) {
		com_err(program_name, errno, "while trying to stat %s", name);
		return -1;
	}
	if (S_ISDIR(st.st_mode) && !dirs_opt)
		return iterate_on_dir(name, dir_entry, NULL);
	return list_attributes(name);
}

static int is_dot_or_dotdot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

static int dir_entry(const char *dir, struct dirent *de,
		     void *priv EXT2FS_ATTR((unused)))
{
	struct stat st;
	char *path = attr_join(dir, de->d_name);

	if (!path) {
		fputs("Couldn't allocate path variable in lsattr_dir_proc\n",
		      stderr);
		return -1;
	}
	if (lstat(path, &st) == -1) {
		perror(path);
	} else if (de->d_name[0] != '.' || all) {
		list_attributes(path);
		if (S_ISDIR(st.st_mode) && recursive &&
		    !is_dot_or_dotdot(de->d_name)) {
			printf("\n%s:\n", path);
			iterate_on_dir(path, dir_entry, NULL);
			printf("\n");
		}
	}
	free(path);
	return 0;
}

int main(int argc, char **argv)
{
	int c, i, status = 0;

	if (argc && *argv)
		program_name = *argv;
	ext2fs_atomic_init();
	while ((c = getopt(argc, argv, "RVadlvp")) != EOF) {
		switch (c) {
		case 'R': recursive = 1; break;
		case 'V': verbose = 1; break;
		case 'a': all = 1; break;
		case 'd': dirs_opt = 1; break;
		case 'l': long_opt = 1; break;
		case 'v': version_opt = 1; break;
		case 'p': project_opt = 1; break;
		default: usage();
		}
	}
	if (verbose)
		attr_print_version("lsattr");
	if (optind >= argc) {
		if (list_args(".") == -1)
			status = 1;
	}
	for (i = optind; i < argc; i++)
		if (list_args(argv[i]))
			status = 1;
	ext2fs_atomic_ondisk_close(ondisk);
	exit(status);
}
