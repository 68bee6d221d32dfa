/*
 * atomic_cmds.h --- the atomic side of the debugfs front end.
 */

#ifndef E2ATOMIC_DEBUGFS_ATOMIC_CMDS_H
#define E2ATOMIC_DEBUGFS_ATOMIC_CMDS_H

#include "session.h"

/* A command: argv[0] is its name; the return value adds to the status. */
typedef int (*atomic_cmd_func)(struct session *s, int argc, char **argv,
			       const char *line);

struct atomic_cmd {
	const char	*names;		/* "name, alias" as help shows them */
	const char	*help;
	atomic_cmd_func	func;
};

extern const struct atomic_cmd atomic_cmds[];
extern const struct atomic_cmd atomic_wrappers[];
const struct atomic_cmd *atomic_cmd_find(const struct atomic_cmd *table,
					 const char *name);
void atomic_print_help(void);

void stat_filter(struct session *s, const char *line, void *priv);
void super_filter(struct session *s, const char *line, void *priv);
int atomic_run_batch(struct session *s, const char *lines);
int atomic_batchable(struct session *s, const char *name);

#endif /* E2ATOMIC_DEBUGFS_ATOMIC_CMDS_H */
