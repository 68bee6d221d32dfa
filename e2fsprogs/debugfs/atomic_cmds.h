/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic_cmds.h --- debugfs' requests for atomic files (atomic_stat.c,
 * atomic_cmds.c).  The request functions themselves are declared by
 * the command table mk_cmds makes from debug_cmds.ct.
 */

#ifndef DEBUGFS_ATOMIC_CMDS_H
#define DEBUGFS_ATOMIC_CMDS_H

#include "ext2fs/ext2fs.h"

/* The rule status of a flagged inode as a phrase; 1 when it is broken. */
extern int debugfs_atomic_status(ext2_filsys fs, ext2_ino_t ino,
				 struct ext2_inode *inode, char *buf,
				 size_t size, __u64 *nr_bad);

/* stat: the end of the Flags line, and the rule line of atomic files. */
extern void debugfs_atomic_dump_flags(FILE *out, const char *prefix,
				      ext2_ino_t ino,
				      struct ext2_inode *inode);

/* A file name as string_to_inode takes it, resolved without messages. */
extern ext2_ino_t debugfs_atomic_quiet_inode(const char *str);

#endif /* DEBUGFS_ATOMIC_CMDS_H */
