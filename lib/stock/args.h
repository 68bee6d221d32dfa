/*
 * args.h --- scanning and rebuilding a stock program's command line.
 */

#ifndef E2ATOMIC_ARGS_H
#define E2ATOMIC_ARGS_H

/* One element of a command line: an option (with its value) or an operand. */
struct arg_item {
	char	opt;		/* 0 for an operand */
	char	*value;		/* the option's value, or the operand */
	int	dropped;	/* left out when the line is rebuilt */
};

struct arg_list {
	char		*prog;	/* argv[0] */
	struct arg_item	*items;
	int		nr;
	int		bad;	/* unknown option or missing value */
};

int args_scan(struct arg_list *al, int argc, char **argv,
	      const char *optstring);
void args_free(struct arg_list *al);
int args_count(const struct arg_list *al, char opt);
const char *args_last(const struct arg_list *al, char opt);
const char *args_operand(const struct arg_list *al, int n);
int args_add(struct arg_list *al, char opt, const char *value);
char **args_build(const struct arg_list *al);
void args_free_argv(char **argv);

#endif /* E2ATOMIC_ARGS_H */
