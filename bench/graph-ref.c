// SPDX-License-Identifier: GPL-2.0
/*
 * The shared-graph workload's reference, on the build machine: the same
 * R-MAT graph and the same PageRank and BFS as bench/graph.c (one copy of
 * the code, bench/graph.h), over every block in order in this process's
 * own memory. Prints the GRAPH-RESULT fields the guests must match bit
 * for bit, and with -o DIR writes the edges and both result arrays for
 * bench/graph-check.py to compare with igraph:
 *
 *   DIR/edges.u32   m pairs (src, dst), native 32-bit
 *   DIR/pr.f64      n ranks
 *   DIR/level.u32   n levels (0xffffffff: not reached)
 *
 * Usage: graph-ref -s SCALE [-e EDGEFACTOR] [-o DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "graph.h"

static void die(const char *what)
{
	fprintf(stderr, "graph-ref: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(const char *dir, const char *file, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f))
		die(path);
}

static void *zalloc(size_t len)
{
	void *p = calloc(1, len ? len : 1);

	if (!p)
		die("calloc");
	return p;
}

int main(int argc, char **argv)
{
	unsigned int scale = 0, ef = 10, it, l;
	const char *dir = NULL;
	struct graph g = { 0 };
	uint64_t *e;
	uint32_t b, found, reached = 0, *pairs;
	size_t m, i;
	int opt;

	while ((opt = getopt(argc, argv, "s:e:o:")) != -1) {
		switch (opt) {
		case 's':
			scale = (unsigned int)atoi(optarg);
			break;
		case 'e':
			ef = (unsigned int)atoi(optarg);
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: graph-ref -s SCALE [-e EDGEFACTOR] [-o DIR]\n");
			return 2;
		}
	}
	if (scale < 10 || scale > 24 || !ef || ef > 64) {
		fprintf(stderr, "graph-ref: -s 10..24 and -e 1..64\n");
		return 2;
	}
	m = graph_rmat_edges(scale, ef, &e);
	if (!m)
		die("edges");
	g.n = 1u << scale;
	g.blocks = (g.n + GRAPH_BLOCK - 1) / GRAPH_BLOCK;
	g.in_ptr = zalloc((g.n + 1ul) * 4);
	g.in_idx = zalloc(m * 4);
	g.outdeg = zalloc(g.n * 4ul);
	g.contrib[0] = zalloc(g.n * 8ul);
	g.contrib[1] = zalloc(g.n * 8ul);
	g.pr = zalloc(g.n * 8ul);
	g.level = zalloc(g.n * 4ul);
	for (i = 0; i < 2; i++) {
		g.dangling[i] = zalloc(g.blocks * 8ul);
		g.diff[i] = zalloc(g.blocks * 8ul);
		g.found[i] = zalloc(g.blocks * 4ul);
	}
	graph_build(&g, e, m);

	for (b = 0; b < g.blocks; b++)
		graph_pr_init(&g, b);
	for (it = 0; it < GRAPH_PR_MAX_ITERS; it++) {
		double dangling = graph_sum(g.dangling[it & 1], g.blocks);

		for (b = 0; b < g.blocks; b++)
			graph_pr_step(&g, b, it, dangling);
		if (graph_sum(g.diff[(it + 1) & 1], g.blocks) < GRAPH_PR_TOL)
			break;
	}
	if (it == GRAPH_PR_MAX_ITERS) {
		fprintf(stderr, "graph-ref: PageRank did not converge\n");
		return 1;
	}
	for (b = 0; b < g.blocks; b++)
		graph_bfs_init(&g, b);
	for (l = 0;; l++) {
		for (b = 0; b < g.blocks; b++)
			graph_bfs_step(&g, b, l);
		for (found = 0, b = 0; b < g.blocks; b++)
			found += g.found[(l + 1) & 1][b];
		if (!found)
			break;
	}
	for (b = 0; b < g.n; b++)
		reached += g.level[b] != GRAPH_UNREACHED;
	printf("scale %u edges %zu pagerank iterations %u hash %016llx bfs root %u levels %u reached %u hash %016llx\n",
	       scale, m, it + 1, (unsigned long long)graph_hash(g.pr, g.n * sizeof(double)),
	       graph_root(g.n), l + 1, reached,
	       (unsigned long long)graph_hash(g.level, g.n * sizeof(uint32_t)));
	if (dir) {
		pairs = zalloc(m * 8);
		for (i = 0; i < m; i++) {
			pairs[2 * i] = (uint32_t)e[i];
			pairs[2 * i + 1] = (uint32_t)(e[i] >> 32);
		}
		put(dir, "edges.u32", pairs, m * 8);
		put(dir, "pr.f64", g.pr, g.n * 8ul);
		put(dir, "level.u32", g.level, g.n * 4ul);
	}
	return 0;
}
