/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP for the in-guest tests: a thin layer over the kernel tree's
 * tools/testing/selftests/kselftest.h (header, results, diagnostics,
 * counts), for tests in which several hosts move in step.
 *
 * Each host prints its own stream. The number of results depends on the
 * host's role and on how far a job got, so the plan comes at the end (as
 * TAP 13 allows), followed by kselftest's totals line; tests/run.sh adds
 * the hosts' streams up and checks each plan.
 *
 *   tap_ok(cond, ...)    a check: "ok N ..." or "not ok N ...", counted
 *   tap_step(cond, ...)  a barrier or set-up step: a "# ..." diagnostic
 *                        when it succeeds, "not ok N ..." when it fails, so
 *                        that a failed step is never silent and a passed
 *                        one never counts as a result
 *   tap_diag(...)        a "# ..." diagnostic
 *   tap_end()            the plan and the totals; the exit status
 */
#ifndef MORSEL_TAP_H
#define MORSEL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include "kselftest.h"

/* Put before each result and step, e.g. "host1: ". */
static const char *tap_prefix = "";

static inline void tap_start(const char *prefix)
{
	tap_prefix = prefix;
	ksft_print_header();
}

/* One check or step; a step that succeeds is only a diagnostic. */
__printf(3, 0) static inline int tap_report(int step, int cond, const char *fmt,
					    va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (step && cond)
		ksft_print_msg("%s%s\n", tap_prefix, msg);
	else
		ksft_test_result(cond, "%s%s\n", tap_prefix, msg);
	fflush(stdout);
	return cond;
}

__printf(2, 3) static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = tap_report(0, cond, fmt, ap);
	va_end(ap);
	return cond;
}

__printf(2, 3) static inline int tap_step(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = tap_report(1, cond, fmt, ap);
	va_end(ap);
	return cond;
}

__printf(1, 2) static inline void tap_diag(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_msg("%s\n", msg);
	fflush(stdout);
}

/* The trailing plan and kselftest's totals; KSFT_PASS or KSFT_FAIL. */
static inline int tap_end(void)
{
	ksft_set_plan(ksft_test_num());
	ksft_print_cnts();
	fflush(stdout);
	return ksft_get_fail_cnt() || ksft_get_error_cnt() ? KSFT_FAIL :
							     KSFT_PASS;
}

#endif
