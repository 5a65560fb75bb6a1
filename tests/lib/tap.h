/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP (kselftest style) for the in-guest tests. Each host prints
 * its own plan-less stream; the host-side runner adds them up.
 */
#ifndef MORSEL_TAP_H
#define MORSEL_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;
static const char *tap_prefix = "";

static inline void tap_start(const char *prefix)
{
	tap_prefix = prefix;
	printf("TAP version 13\n");
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d %s", cond ? "" : "not ", ++tap_n, tap_prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_end(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
