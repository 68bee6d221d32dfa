/*
 * args.c --- scan a command line the way glibc's getopt does, so that
 * a front end can find and edit the options of the stock program it
 * wraps, then rebuild an argv for it.
 *
 * Like getopt without POSIXLY_CORRECT: options may follow operands,
 * flags may be grouped ("-qF"), a value may be attached ("-Ofoo") or
 * separate ("-O foo"), and "--" ends the options.  Options are kept in
 * order; the rebuilt line puts them before the operands.
 */

#include <stdlib.h>
#include <string.h>

#include "args.h"

static int push(struct arg_list *al, char opt, const char *value)
{
	struct arg_item *items;

	items = realloc(al->items, (al->nr + 1) * sizeof(*items));
	if (!items)
		return -1;
	al->items = items;
	items[al->nr].opt = opt;
	items[al->nr].value = value ? strdup(value) : NULL;
	items[al->nr].dropped = 0;
	if (value && !items[al->nr].value)
		return -1;
	al->nr++;
	return 0;
}

/* Returns 0, or -1 when memory runs out. */
int args_scan(struct arg_list *al, int argc, char **argv,
	      const char *optstring)
{
	const char *spec, *p;
	int i, options_done = 0;

	memset(al, 0, sizeof(*al));
	al->prog = argv[0];
	for (i = 1; i < argc; i++) {
		p = argv[i];
		if (options_done || p[0] != '-' || !p[1]) {
			if (push(al, 0, p))
				return -1;
			continue;
		}
		if (!strcmp(p, "--")) {
			options_done = 1;
			continue;
		}
		for (p++; *p; p++) {
			spec = *p != ':' ? strchr(optstring, *p) : NULL;
			if (!spec) {
				al->bad = 1;
				if (push(al, *p, NULL))
					return -1;
				continue;
			}
			if (spec[1] != ':') {
				if (push(al, *p, NULL))
					return -1;
				continue;
			}
			if (p[1]) {
				if (push(al, *p, p + 1))
					return -1;
			} else if (i + 1 < argc) {
				if (push(al, *p, argv[++i]))
					return -1;
			} else {
				al->bad = 1;
				if (push(al, *p, NULL))
					return -1;
			}
			break;
		}
	}
	return 0;
}

void args_free(struct arg_list *al)
{
	int i;

	for (i = 0; i < al->nr; i++)
		free(al->items[i].value);
	free(al->items);
	al->items = NULL;
	al->nr = 0;
}

int args_count(const struct arg_list *al, char opt)
{
	int i, n = 0;

	for (i = 0; i < al->nr; i++)
		n += !al->items[i].dropped && al->items[i].opt == opt;
	return n;
}

/* The value of the last occurrence of opt, or NULL. */
const char *args_last(const struct arg_list *al, char opt)
{
	int i;

	for (i = al->nr - 1; i >= 0; i--)
		if (!al->items[i].dropped && al->items[i].opt == opt)
			return al->items[i].value;
	return NULL;
}

/* The nth operand (from 0), or NULL. */
const char *args_operand(const struct arg_list *al, int n)
{
	int i;

	for (i = 0; i < al->nr; i++)
		if (!al->items[i].dropped && !al->items[i].opt && n-- == 0)
			return al->items[i].value;
	return NULL;
}

int args_add(struct arg_list *al, char opt, const char *value)
{
	return push(al, opt, value);
}

/*
 * A NULL-terminated argv: argv[0], the options, then the operands
 * (after "--" if one of them looks like an option).
 */
char **args_build(const struct arg_list *al)
{
	char **argv, buf[3] = "-?";
	int i, n = 0, pass;

	argv = calloc(2 * al->nr + 3, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[n++] = strdup(al->prog);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; pass == 1 && i < al->nr; i++)
			if (!al->items[i].dropped && !al->items[i].opt &&
			    al->items[i].value[0] == '-') {
				argv[n++] = strdup("--");
				break;
			}
		for (i = 0; i < al->nr; i++) {
			const struct arg_item *it = &al->items[i];

			if (it->dropped || (pass == 0) != (it->opt != 0))
				continue;
			if (it->opt) {
				buf[1] = it->opt;
				argv[n++] = strdup(buf);
			}
			if (it->value)
				argv[n++] = strdup(it->value);
		}
	}
	for (i = 0; i < n; i++)
		if (!argv[i]) {
			args_free_argv(argv);
			return NULL;
		}
	return argv;
}

void args_free_argv(char **argv)
{
	int i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
