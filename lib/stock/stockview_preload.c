/*
 * stockview_preload.c --- the shared object preloaded into stock e2fsck
 * and resize2fs.  Both take unix_io_manager through a copy relocation,
 * so the definition below is the one they use; the real unix manager is
 * still libext2fs's own definition, found with dlsym on its handle.
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "stockview_io.h"

io_manager unix_io_manager;

__attribute__((constructor))
static void stockview_init(void)
{
	void *lib = dlopen("libext2fs.so.2", RTLD_NOW | RTLD_NOLOAD);
	io_manager *real = lib ? dlsym(lib, "unix_io_manager") : NULL;

	if (!real || !*real || *real == stockview_io_manager) {
		fprintf(stderr, "stock view: cannot find libext2fs' unix I/O "
			"manager; refusing to run without it\n");
		exit(8);
	}
	stockview_set_real(*real);
	unix_io_manager = stockview_io_manager;
	/*
	 * Standard output reaches the front end through a pipe; keep it
	 * line buffered, as on the terminal the front end writes to.
	 */
	if (getenv("E2ATOMIC_STDOUT_LINEBUF"))
		setvbuf(stdout, NULL, _IOLBF, 0);
}
