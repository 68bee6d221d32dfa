/*
 * chattr.c --- change file attributes, Atomic_Write ('W') included.
 *
 * The stock program's command line (-R -V -f -v version -p project,
 * +-= letters), messages and exit status, with one more letter: W,
 * EXT4_ATOMIC_FL.  Setting it is the kernel's decision: a kernel
 * without the atomic write patches answers EOPNOTSUPP, reported as
 * "Operation not supported while setting flags on FILE".  Such a
 * kernel also ignores a request to clear a flag it does not know; that
 * is reported too, with the offline way to do it (debugfs clear_atomic).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <e2p/e2p.h>

#include "ext2fs_atomic.h"
#include "attr_common.h"

static const char *program_name = "chattr";
static int add, rem, set, set_version, set_project;
static int recursive, verbose, silent;
static unsigned long version, project;
static unsigned long af, rf, sf;
static ext2fs_atomic_ondisk_t ondisk;

static void usage(void)
{
	fprintf(stderr, "Usage: %s [-RVf] [-+=aAcCdDeijPsStTuFxmW] "
		"[-p project] [-v version] files...\n", program_name);
	exit(1);
}

static unsigned long number_arg(int *i, int argc, char **argv,
				const char *what)
{
	char *end;
	unsigned long n;

	if (++*i >= argc)
		usage();
	n = strtol(argv[*i], &end, 0);
	if (*end) {
		com_err(program_name, 0, "bad %s - %s\n", what, argv[*i]);
		usage();
	}
	return n;
}

static void letters(const char *p, unsigned long *mask)
{
	unsigned long fl;

	for (; *p; p++) {
		fl = ext2fs_atomic_flag_of_letter(*p);
		if (!fl)
			usage();
		*mask |= fl;
	}
}

/* One command-line word; 0 when it is the first file name. */
static int decode_arg(int *i, int argc, char **argv)
{
	const char *p;
	unsigned long fl;

	switch (argv[*i][0]) {
	case '-':
		for (p = argv[*i] + 1; *p; p++) {
			if (*p == 'R')
				recursive = 1;
			else if (*p == 'V')
				verbose = 1;
			else if (*p == 'f')
				silent = 1;
			else if (*p == 'p') {
				project = number_arg(i, argc, argv, "project");
				set_project = 1;
			} else if (*p == 'v') {
				version = number_arg(i, argc, argv, "version");
				set_version = 1;
			} else if ((fl = ext2fs_atomic_flag_of_letter(*p))) {
				rf |= fl;
				rem = 1;
			} else
				usage();
		}
		return 1;
	case '+':
		add = 1;
		letters(argv[*i] + 1, &af);
		return 1;
	case '=':
		set = 1;
		letters(argv[*i] + 1, &sf);
		return 1;
	}
	return 0;
}

static void say_flags(const char *name, unsigned long flags)
{
	if (!verbose)
		return;
	printf("Flags of %s set as ", name);
	ext2fs_atomic_print_flags(stdout, flags, 0);
	printf("\n");
}

/*
 * Was Atomic_Write to go and is it still on the inode, because the
 * kernel does not know it?  Then say so: the request did not happen.
 */
static int atomic_left_over(const char *name, const struct stat *st,
			    unsigned long wanted)
{
	__u32 disk;

	if (wanted & EXT4_ATOMIC_FL ||
	    ext2fs_atomic_ondisk_flags(&ondisk, st->st_dev, st->st_ino,
				       &disk) ||
	    !(disk & EXT4_ATOMIC_FL))
		return 0;
	if (!silent)
		com_err(program_name, EOPNOTSUPP,
			"while clearing flags on %s (the kernel does not know "
			"Atomic_Write; clear it offline with debugfs "
			"clear_atomic)", name);
	return -1;
}

static int dir_entry(const char *dir, struct dirent *de, void *priv);

static int change_attributes(const char *name)
{
	unsigned long flags;
	struct stat st;

	if (lstat(name, &st) == -1) {
		if (!silent)
			com_err(program_name, errno,
				"while trying to stat %s", name);
		return -1;
	}
	if (fgetflags(name, &flags) == -1) {
		if (!silent)
			com_err(program_name, errno,
				"while reading flags on %s", name);
		return -1;
	}
	if (set) {
		say_flags(name, sf);
		if (fsetflags(name, sf) == -1)
			perror(name);
		else if (atomic_left_over(name, &st, sf))
			return -1;
	} else {
		flags = (flags & ~rf) | af;
		say_flags(name, flags);
		if (!S_ISDIR(st.st_mode))
			flags &= ~EXT2_DIRSYNC_FL;
		if (fsetflags(name, flags) == -1) {
			if (!silent)
				com_err(program_name, errno,
					"while setting flags on %s", name);
			return -1;
		}
		if ((rf & EXT4_ATOMIC_FL) && atomic_left_over(name, &st, flags))
			return -1;
	}
	if (set_version) {
		if (verbose)
			printf("Version of %s set as %lu\n", name, version);
		if (fsetversion(name, version) == -1) {
			if (!silent)
				com_err(program_name, errno,
					"while setting version on %s", name);
			return -1;
		}
	}
	if (set_project) {
		if (verbose)
			printf("Project of %s set as %lu\n", name, project);
		if (fsetproject(name, project) == -1) {
			if (!silent)
				com_err(program_name, errno,
					"while setting project on %s", name);
			return -1;
		}
	}
	if (S_ISDIR(st.st_mode) && recursive)
		return iterate_on_dir(name, dir_entry, NULL);
	return 0;
}

static int dir_entry(const char *dir, struct dirent *de,
		     void *priv EXT2FS_ATTR((unused)))
{
	char *path;
	int ret;

	if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
		return 0;
	path = malloc(strlen(dir) + strlen(de->d_name) + 2);
	if (!path) {
		fputs("Couldn't allocate path variable in chattr_dir_proc",
		      stderr);
		return -1;
	}
	sprintf(path, "%s/%s", dir, de->d_name);
	ret = change_attributes(path);
	free(path);
	return ret;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0;

	if (argc && *argv)
		program_name = *argv;
	ext2fs_atomic_init();
	while (i < argc) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!decode_arg(&i, argc, argv))
			break;
		i++;
	}
	if (i >= argc)
		usage();
	if (set && (add || rem)) {
		fputs("= is incompatible with - and +\n", stderr);
		exit(1);
	}
	if (rf & af) {
		fputs("Can't both set and unset same flag.\n", stderr);
		exit(1);
	}
	if (!(add || rem || set || set_version || set_project)) {
		fputs("Must use '-v', =, - or +\n", stderr);
		exit(1);
	}
	if (verbose)
		attr_print_version("chattr");
	for (; i < argc; i++)
		if (change_attributes(argv[i]))
			status = 1;
	ext2fs_atomic_ondisk_close(ondisk);
	exit(status);
}
