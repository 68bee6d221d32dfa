/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h --- shared by the fuzz targets and their replay driver.
 */

#ifndef E2ATOMIC_FUZZ_H
#define E2ATOMIC_FUZZ_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* An invariant the sanitizers cannot see: abort, so the input is kept. */
#define FUZZ_ASSERT(x)							\
	do {								\
		if (!(x)) {						\
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", \
				__FILE__, __LINE__, #x);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* E2ATOMIC_FUZZ_H */
