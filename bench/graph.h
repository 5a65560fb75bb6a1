/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared-graph workload's graph and algorithms, compiled into the
 * guest bench (bench/graph.c, the arrays in one object on the pool) and
 * into the build machine's reference (bench/graph-ref.c, the arrays in
 * its own memory), so that both do the same arithmetic in the same order
 * and their results can be compared bit for bit.
 *
 * The graph: R-MAT (Graph500's a = 0.57, b = c = 0.19), 2^scale vertices,
 * edgefactor * 2^scale edges drawn, vertex ids scrambled by an odd
 * multiplier (a bijection mod 2^scale: the heavy vertices spread over the
 * hosts' ranges), self-loops and duplicates dropped. Stored as the CSR of
 * its in-edges (a vertex pulls from its in-neighbours) and the out-degrees.
 *
 * Both algorithms work in blocks of GRAPH_BLOCK vertices; a host computes
 * the blocks of its range, and every sum over all vertices is a sum of
 * per-block partial sums in block order, so that the result does not
 * depend on how many hosts there are:
 *
 *   PageRank  pull iteration, damping 0.85, a dangling vertex's rank
 *             spread over all vertices (as igraph's PRPACK does), until
 *             the L1 change is below GRAPH_PR_TOL;
 *   BFS       bottom-up from graph_root() along out-edges: an unvisited
 *             vertex joins level l + 1 if an in-neighbour is at level l.
 */
#ifndef MORSEL_GRAPH_H
#define MORSEL_GRAPH_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_BLOCK 1024u
#define GRAPH_DAMPING 0.85
#define GRAPH_PR_TOL 1e-10
#define GRAPH_PR_MAX_ITERS 300
#define GRAPH_UNREACHED UINT32_MAX
#define GRAPH_SEED 0x6d6f7273656c73ull	/* "morsels" */

/* The arrays of a graph and of both algorithms' state, wherever they are. */
struct graph {
	uint32_t n, m, blocks;
	uint32_t *in_ptr;	/* n + 1 */
	uint32_t *in_idx;	/* m: in-neighbours of each vertex, ascending */
	uint32_t *outdeg;	/* n */
	double *contrib[2];	/* n each: rank / out-degree, by iteration parity */
	double *pr;		/* n */
	uint32_t *level;	/* n */
	double *dangling[2];	/* blocks each: rank sum of dangling vertices */
	double *diff[2];	/* blocks each: L1 change of the iteration */
	uint32_t *found[2];	/* blocks each: vertices a BFS level added */
};

static inline uint64_t graph_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Where R-MAT's vertex 0 (its heaviest) went: the scrambled ids below. */
static inline uint32_t graph_root(uint32_t n)
{
	return 12345u & (n - 1);
}

static inline int graph_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The edges of the R-MAT graph, as (dst << 32 | src), sorted and unique:
 * in-CSR order. Thresholds are integers, so that every compiler draws
 * the same graph. Return: the count, or 0 without memory (*out NULL).
 */
static inline size_t graph_rmat_edges(unsigned int scale, unsigned int edgefactor,
				      uint64_t **out)
{
	const uint64_t a = 57, ab = 76, abc = 95;	/* of 100 */
	size_t raw = (size_t)edgefactor << scale, i, m = 0;
	uint64_t n = 1ull << scale, s = GRAPH_SEED, *e = malloc(raw * sizeof(*e));
	unsigned int l;

	*out = e;
	if (!e)
		return 0;
	for (i = 0; i < raw; i++) {
		uint64_t src = 0, dst = 0;

		for (l = 0; l < scale; l++) {
			uint64_t r = graph_rnd(&s) % 100;

			src = src << 1 | (r >= ab);
			dst = dst << 1 | ((r >= a && r < ab) || r >= abc);
		}
		src = (src * 0x9e3779b1ull + 12345) & (n - 1);
		dst = (dst * 0x9e3779b1ull + 12345) & (n - 1);
		if (src != dst)
			e[m++] = dst << 32 | src;
	}
	qsort(e, m, sizeof(*e), graph_cmp_u64);
	for (i = 0, raw = m, m = 0; i < raw; i++)
		if (!m || e[i] != e[m - 1])
			e[m++] = e[i];
	return m;
}

/* Fill @g's CSR from graph_rmat_edges()' @e (@g->n set, arrays sized). */
static inline void graph_build(struct graph *g, const uint64_t *e, size_t m)
{
	size_t i;
	uint32_t v = 0;

	g->m = (uint32_t)m;
	memset(g->outdeg, 0, g->n * sizeof(*g->outdeg));
	g->in_ptr[0] = 0;
	for (i = 0; i < m; i++) {
		uint32_t dst = (uint32_t)(e[i] >> 32), src = (uint32_t)e[i];

		while (v < dst)
			g->in_ptr[++v] = (uint32_t)i;
		g->in_idx[i] = src;
		g->outdeg[src]++;
	}
	while (v < g->n)
		g->in_ptr[++v] = (uint32_t)m;
}

/* First and one-past-last block of @host's range among @hosts. */
static inline void graph_range(const struct graph *g, unsigned int host, unsigned int hosts,
			       uint32_t *b0, uint32_t *b1)
{
	*b0 = (uint32_t)((uint64_t)g->blocks * host / hosts);
	*b1 = (uint32_t)((uint64_t)g->blocks * (host + 1) / hosts);
}

/* PageRank's start, for block @b: rank 1/n everywhere. */
static inline void graph_pr_init(struct graph *g, uint32_t b)
{
	double r = 1.0 / g->n, d = 0;
	uint32_t v;

	for (v = b * GRAPH_BLOCK; v < (b + 1) * GRAPH_BLOCK && v < g->n; v++) {
		g->pr[v] = r;
		g->contrib[0][v] = g->outdeg[v] ? r / g->outdeg[v] : 0;
		if (!g->outdeg[v])
			d += r;
	}
	g->dangling[0][b] = d;
}

/* The sum of @blocks partial sums, in block order. */
static inline double graph_sum(const double *part, uint32_t blocks)
{
	double s = 0;
	uint32_t b;

	for (b = 0; b < blocks; b++)
		s += part[b];
	return s;
}

/*
 * Iteration @it of PageRank for block @b: reads every in-neighbour's
 * contribution of parity it, writes the block's ranks, contributions of
 * parity it + 1 and partial sums. @dangling: graph_sum() of
 * dangling[it & 1], the same on every host.
 */
static inline void graph_pr_step(struct graph *g, uint32_t b, unsigned int it, double dangling)
{
	const double *in = g->contrib[it & 1];
	double *out = g->contrib[(it + 1) & 1];
	double base = (1 - GRAPH_DAMPING) / g->n + GRAPH_DAMPING * dangling / g->n;
	double d = 0, diff = 0;
	uint32_t v, i;

	for (v = b * GRAPH_BLOCK; v < (b + 1) * GRAPH_BLOCK && v < g->n; v++) {
		double s = 0, r;

		for (i = g->in_ptr[v]; i < g->in_ptr[v + 1]; i++)
			s += in[g->in_idx[i]];
		r = base + GRAPH_DAMPING * s;
		diff += fabs(r - g->pr[v]);
		g->pr[v] = r;
		out[v] = g->outdeg[v] ? r / g->outdeg[v] : 0;
		if (!g->outdeg[v])
			d += r;
	}
	g->dangling[(it + 1) & 1][b] = d;
	g->diff[(it + 1) & 1][b] = diff;
}

/* BFS's start, for block @b: the root at level 0, the others unreached. */
static inline void graph_bfs_init(struct graph *g, uint32_t b)
{
	uint32_t v;

	for (v = b * GRAPH_BLOCK; v < (b + 1) * GRAPH_BLOCK && v < g->n; v++)
		g->level[v] = v == graph_root(g->n) ? 0 : GRAPH_UNREACHED;
	g->found[0][b] = b == graph_root(g->n) / GRAPH_BLOCK;
}

/*
 * Level @l + 1 of the BFS for block @b: an unreached vertex joins it if
 * an in-neighbour is at level @l (which other hosts wrote in the level
 * before). Counts what it added in found[(l + 1) & 1].
 */
static inline void graph_bfs_step(struct graph *g, uint32_t b, uint32_t l)
{
	uint32_t v, i, found = 0;

	for (v = b * GRAPH_BLOCK; v < (b + 1) * GRAPH_BLOCK && v < g->n; v++) {
		if (g->level[v] != GRAPH_UNREACHED)
			continue;
		for (i = g->in_ptr[v]; i < g->in_ptr[v + 1]; i++) {
			if (g->level[g->in_idx[i]] == l) {
				g->level[v] = l + 1;
				found++;
				break;
			}
		}
	}
	g->found[(l + 1) & 1][b] = found;
}

/* FNV-1a of @len bytes: the results' fingerprints. */
static inline uint64_t graph_hash(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

#endif
