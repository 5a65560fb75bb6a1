/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 95% confidence intervals for the benchmarks' verdicts: of a mean of
 * independent samples (Student's t), which is also how a paired ratio is
 * judged (the mean of per-pair ratios, pairs measured back to back so
 * that a slow phase of the machine hits both sides of a pair).
 */
#ifndef MORSEL_INTERVAL_H
#define MORSEL_INTERVAL_H

#include <math.h>

struct interval {
	double mean, half;	/* mean +- half */
};

/* Two-sided 95% quantile of Student's t with @df degrees of freedom. */
static inline double t95(unsigned int df)
{
	static const struct {
		unsigned int df;
		double t;
	} tab[] = {
		{ 1, 12.706 }, { 2, 4.303 }, { 3, 3.182 }, { 4, 2.776 }, { 5, 2.571 },
		{ 6, 2.447 }, { 7, 2.365 }, { 8, 2.306 }, { 9, 2.262 }, { 10, 2.228 },
		{ 12, 2.179 }, { 15, 2.131 }, { 20, 2.086 }, { 30, 2.042 }, { 60, 2.000 },
		{ 120, 1.980 },
	};
	unsigned int i;
	double t = INFINITY;

	/* Between two rows, the row of fewer degrees: a wider interval. */
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]) && tab[i].df <= df; i++)
		t = tab[i].t;
	return df > 1000 ? 1.960 : t;
}

/* The mean of @n samples and the half-width of its 95% interval (infinite for n < 2). */
static inline struct interval interval_of(const double *v, unsigned int n)
{
	struct interval r = { 0, INFINITY };
	double ss = 0;
	unsigned int i;

	if (!n)
		return r;
	for (i = 0; i < n; i++)
		r.mean += v[i];
	r.mean /= n;
	if (n < 2)
		return r;
	for (i = 0; i < n; i++)
		ss += (v[i] - r.mean) * (v[i] - r.mean);
	r.half = t95(n - 1) * sqrt(ss / (n - 1) / n);
	return r;
}

/*
 * The ratio @a / @b of two means and its half-width, from theirs (first
 * order: the relative half-widths add in quadrature). Both means > 0.
 */
static inline struct interval interval_ratio(const struct interval *a, const struct interval *b)
{
	double q = a->mean / b->mean;

	return (struct interval){ q, q * hypot(a->half / a->mean, b->half / b->mean) };
}

#endif
