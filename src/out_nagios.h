/*
 * The Monitoring Plugins check format (-o nagios): one status line
 *   CLOUD ASSISTANT OK|WARNING|CRITICAL|UNKNOWN - <n> of <m> agents live[, <k> down: id,...]
 *     | live=<n>;;;0;<m> down=<d>;<w>;<c>;0;<m> notfound=<f>;;;0;<m> time=<s>s
 * then one line per instance without a live agent. Thresholds are ranges as the Monitoring
 * Plugins development guidelines define them ([@]start:end, ~ for minus infinity), on whole
 * numbers (a count of instances; no floating point, for FPU-less routers).
 */
#ifndef ECS_OUT_NAGIOS_H
#define ECS_OUT_NAGIOS_H

#include <stdint.h>

#include "err.h"

typedef struct {
	int set;    /* 0: no threshold */
	int inside; /* '@': alert inside the range, else outside */
	int lo_inf; /* '~': no lower bound */
	int hi_inf; /* "N:": no upper bound */
	int64_t lo, hi;
	char text[32]; /* as given, for the perfdata */
} nagios_range;

/* Parses s into r. ECS_E_USAGE with a message naming flag for anything else. */
ecs_status nagios_range_parse(const char *s, const char *flag, nagios_range *r, ecs_err *err);
/* 1 if v raises the alert of r (0 when r is not set). */
int nagios_range_alert(const nagios_range *r, int64_t v);

enum { NAGIOS_OK = 0, NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2, NAGIOS_UNKNOWN = 3 };

#endif
