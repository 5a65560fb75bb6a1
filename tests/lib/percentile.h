/* SPDX-License-Identifier: GPL-2.0 */
/* Percentiles of latency samples, for the benchmarks. */
#ifndef MORSEL_PERCENTILE_H
#define MORSEL_PERCENTILE_H

#include <stdint.h>
#include <stdlib.h>

static inline int percentile_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @p-quantile (0..1, nearest rank) of @n samples; sorts @v; 0 if empty. */
static inline uint64_t percentile(uint64_t *v, unsigned int n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), percentile_cmp);
	return v[(unsigned int)(p * (n - 1) + 0.5)];
}

#endif
