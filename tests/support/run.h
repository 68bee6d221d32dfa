/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run.h --- run a program of an e2fsprogs build (tests and benchmarks).
 */

#ifndef E2ATOMIC_RUN_H
#define E2ATOMIC_RUN_H

/* Which build: ours (the hooked one) or the unpatched one of the same source. */
#define RUN_OURS	0
#define RUN_STOCK	1

int run_path(int which, const char *prog, char *buf, unsigned long size);
int run_prog(int which, const char *prog, char *const argv[]);

#endif /* E2ATOMIC_RUN_H */
