/*
 * The command line: argv -> options. Every value is checked here (ranges, names, thresholds,
 * no secret on argv); instance ids go into the caller's id set. Pure: no I/O.
 */
#ifndef ECS_CLI_H
#define ECS_CLI_H

#include "ecs_limits.h"
#include <stdint.h>

#include "err.h"
#include "ids.h"
#include "out_nagios.h"
#include "output.h"

typedef struct {
	ids_set *ids;
	/* -r: repeated and comma-separated; "all" = every region of the account */
	char regions[ECS_REGIONS_MAX][ECS_REGION_MAX];
	unsigned nregions;
	int regions_all;
	const char *region_from;
	int all, check, vpc, sig_v1, dry_run, verbose, read_stdin, help, version, down;
	int show_ca; /* --show-ca: print the trust anchors and exit */
	const char *output_file;
	nagios_range warn, crit;
	out_format fmt;
	const char *os_type, *endpoint, *ca_file, *proxy, *no_proxy, *profile;
	unsigned batch, retries;
	unsigned parallel;   /* --parallel: connections of the batch engine */
	unsigned max_time_s; /* --max-time (0 = no limit) */
	unsigned connect_s, read_s;
	unsigned wait_s, interval_s; /* --wait (0 = no waiting), --interval */
	uint64_t given;		     /* options given on the command line (1 << option) */
} cli_opts;

/* Sets err to ECS_E_USAGE with the message; returns ECS_E_USAGE. */
ecs_status usage_error(ecs_err *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* The --help text. */
const char *cli_usage(void);

/* Parses argv into o (zeroed first, defaults set). Stops at --help/--version (o->help,
 * o->version). ECS_E_USAGE with a message for a bad flag or value; the errors of ids_feed()
 * for a bad id. */
ecs_status cli_parse(int argc, char **argv, cli_opts *o, ids_set *ids, ecs_err *err);

/* A setting from the environment or a profile, as the long option lng would set it, unless
 * the command line or an earlier call set that option: call in order of precedence (flags,
 * then the profile, then the environment). from names the source in messages. */
ecs_status cli_default(cli_opts *o, const char *lng, const char *value, const char *from,
		       ecs_err *err);

/* Adds the regions of a comma-separated list (from -r or the environment) to o, each once.
 * "all" alone sets o->regions_all. ECS_E_USAGE for an invalid id, "all" beside others, or more
 * than ECS_REGIONS_MAX. from names the source in messages. */
ecs_status cli_add_regions(cli_opts *o, const char *list, const char *from, ecs_err *err);

#endif
