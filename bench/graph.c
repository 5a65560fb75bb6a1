// SPDX-License-Identifier: GPL-2.0
/*
 * A real computation on shared data: PageRank and BFS over an R-MAT graph
 * (bench/graph.h) whose CSR and vertex arrays live in one object, on
 * every host of the run at once, for each coherence mode of the object
 * (morsels, page-copy DSM, twin-and-diff DSM, and plain, the hardware
 * coherent upper bound: modes of the same kernel, compare.h).
 *
 * Host 0 generates the graph in its own memory and writes the CSR into a
 * new object (the build phase); every host then computes the vertex
 * blocks of its range (the vertex arrays split by host), reading every
 * other host's values: the bulk-synchronous pattern of graph analytics,
 * one barrier per iteration or level. PageRank double-buffers by
 * iteration parity, so it reads only values of the iteration before; BFS
 * has one level array, whose pages other hosts may be writing during the
 * level (a write only turns unreached into l + 1 and the test is == l, so
 * the levels do not depend on it, but its counts depend on the hosts'
 * interleaving).
 *
 * Checks, a wrong one fails the run (exit 1):
 *  - every mode's ranks and levels are bit for bit those of the first
 *    mode (the arithmetic and its order do not depend on the mode or on
 *    the host count: a stale read in any iteration changes them);
 *  - the result lines (GRAPH-RESULT, fingerprints of the whole rank and
 *    level arrays) are compared by the harness with bench/graph-ref.c on
 *    the build machine, whose arrays bench/graph-check.py compares with
 *    igraph's PageRank and BFS of the same edges.
 *
 * Per phase and mode: this accelerator's time (not hardware time), what
 * the kernel counted on all hosts, and a modelled time (cost_model.h),
 * once without the lines a morsel (or plain) host loads from the pool on
 * demand and once with an estimate of them: a host's cache holds its
 * working set, so it loads its part of the CSR once and, every iteration
 * or level, each line of the vector that the hosts rewrote (contributions,
 * levels) once.
 *
 * Usage: graph   (kernel command line: mgraphscale=S, default 17, and
 * mgraphef=E, default 10: 2^S vertices, E * 2^S edges drawn; mquick=1:
 * scale 14)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "cost_model.h"
#include "graph.h"

#define PAGE 4096ul
#define LINE 64.0

static struct compare c = { .prog = "graph", .slot = 28 };

/* The object's header: what the other hosts need to find the arrays. */
struct graph_hdr {
	uint64_t magic, n, m, blocks;
};
#define GRAPH_MAGIC 0x4d4f5253454c4752ull

enum { PH_BUILD, PH_PR, PH_BFS, PH_NR };
static const char *const phnames[PH_NR] = { "build", "pagerank", "bfs" };

struct run {
	double secs[PH_NR];
	struct obj_moved mv[PH_NR];
	double lines[PH_NR];	/* a morsel host's on-demand line loads, estimated */
	unsigned int iters, levels;
	uint32_t reached;
	uint64_t pr_hash, level_hash;
};

static size_t up(size_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

/* Lay out the arrays of @g (n, m, blocks set) from @base (NULL: only count); the bytes used. */
static size_t layout(struct graph *g, char *base)
{
	size_t off = PAGE, n = g->n, bl = g->blocks;

#define PLACE(field, bytes)                                   \
	do {                                                  \
		if (base)                                     \
			g->field = (void *)(base + off);      \
		off += up(bytes);                             \
	} while (0)
	PLACE(in_ptr, (n + 1) * 4);
	PLACE(in_idx, (size_t)g->m * 4);
	PLACE(outdeg, n * 4);
	PLACE(contrib[0], n * 8);
	PLACE(contrib[1], n * 8);
	PLACE(pr, n * 8);
	PLACE(level, n * 4);
	/* The partial sums: a page of each kind (up to scale 19), written by every host. */
	PLACE(dangling[0], bl * 8);
	PLACE(dangling[1], bl * 8);
	PLACE(diff[0], bl * 8);
	PLACE(diff[1], bl * 8);
	PLACE(found[0], bl * 4);
	PLACE(found[1], bl * 4);
#undef PLACE
	return off;
}

/* What this host counted on @fd since @start, summed over all hosts into @sum (host 0). */
static void phase_end(int fd, struct obj_moved *start, struct obj_moved *sum)
{
	struct morsel_obj_stat st = obj_stat(fd);
	struct obj_moved now, d;
	unsigned int i;

	obj_moved_of(&st, &now);
	for (i = 0; i < OBJ_MOVED_N; i++)
		d.v[i] = now.v[i] - start->v[i];
	obj_moved_publish(&c.pc, c.me, &d);
	compare_sync(&c);
	if (c.me == 0)
		obj_moved_sum(&c.pc, c.hosts, sum);
	compare_sync(&c);	/* every flag read before they are reused */
	*start = now;
}

static void run(const struct compare_mode *mode, const uint64_t *edges, size_t m,
		unsigned int scale, struct run *r)
{
	struct graph g = { 0 };
	struct graph_hdr *h;
	struct obj_moved start;
	struct morsel_obj_stat st;
	char name[32];
	size_t bytes;
	uint32_t b, b0, b1, l;
	unsigned int it;
	uint64_t t0;
	char *base;
	int fd;

	snprintf(name, sizeof(name), "graph-%u", mode->mode);
	g.n = 1u << scale;
	g.m = (uint32_t)m;
	g.blocks = (g.n + GRAPH_BLOCK - 1) / GRAPH_BLOCK;
	/* Every host knows n and m: host 0 published m before the first run. */
	bytes = layout(&g, NULL);
	base = compare_map(&c, name, bytes, mode, &fd);
	layout(&g, base);
	h = (struct graph_hdr *)base;
	st = obj_stat(fd);
	obj_moved_of(&st, &start);

	/* Build: host 0 writes the CSR. */
	t0 = now_ns();
	if (c.me == 0) {
		graph_build(&g, edges, m);
		*h = (struct graph_hdr){ GRAPH_MAGIC, g.n, g.m, g.blocks };
	}
	compare_sync(&c);
	if (h->magic != GRAPH_MAGIC || h->n != g.n || h->m != g.m)
		compare_fail(&c, "%s: header reads n %llu m %llu, not %u %u", name,
			     (unsigned long long)h->n, (unsigned long long)h->m, g.n, g.m);
	r->secs[PH_BUILD] = (now_ns() - t0) / 1e9;
	r->lines[PH_BUILD] = 0;
	phase_end(fd, &start, &r->mv[PH_BUILD]);

	/* PageRank over this host's blocks, one barrier per iteration. */
	graph_range(&g, c.me, c.hosts, &b0, &b1);
	t0 = now_ns();
	for (b = b0; b < b1; b++)
		graph_pr_init(&g, b);
	compare_sync(&c);
	for (it = 0; it < GRAPH_PR_MAX_ITERS; it++) {
		double dangling = graph_sum(g.dangling[it & 1], g.blocks);

		for (b = b0; b < b1; b++)
			graph_pr_step(&g, b, it, dangling);
		compare_sync(&c);
		if (graph_sum(g.diff[(it + 1) & 1], g.blocks) < GRAPH_PR_TOL)
			break;
	}
	r->iters = it + 1;
	r->secs[PH_PR] = (now_ns() - t0) / 1e9;
	if (r->iters > GRAPH_PR_MAX_ITERS)
		compare_fail(&c, "%s: PageRank did not converge in %u iterations", name,
			     GRAPH_PR_MAX_ITERS);
	/* The CSR once, all hosts; every host every contribution, per iteration. */
	r->lines[PH_PR] = (4.0 * (g.n + 1) + 4.0 * g.m + 4.0 * g.n) / LINE +
			  (double)r->iters * c.hosts * g.n * 8 / LINE;
	phase_end(fd, &start, &r->mv[PH_PR]);

	/* BFS from graph_root(), one barrier per level. */
	t0 = now_ns();
	for (b = b0; b < b1; b++)
		graph_bfs_init(&g, b);
	compare_sync(&c);
	for (l = 0;; l++) {
		uint32_t found = 0;

		for (b = b0; b < b1; b++)
			graph_bfs_step(&g, b, l);
		compare_sync(&c);
		for (b = 0; b < g.blocks; b++)
			found += g.found[(l + 1) & 1][b];
		if (!found)
			break;
	}
	r->levels = l + 1;
	r->secs[PH_BFS] = (now_ns() - t0) / 1e9;
	/* Every host every level, per level (the CSR is still cached). */
	r->lines[PH_BFS] = (double)r->levels * c.hosts * g.n * 4 / LINE;
	phase_end(fd, &start, &r->mv[PH_BFS]);

	/* Host 0 reads the results (after the counts: not measured). */
	if (c.me == 0) {
		r->pr_hash = graph_hash(g.pr, g.n * sizeof(double));
		r->level_hash = graph_hash(g.level, g.n * sizeof(uint32_t));
		for (r->reached = 0, b = 0; b < g.n; b++)
			r->reached += g.level[b] != GRAPH_UNREACHED;
	}
	compare_done(&c, name, base, bytes, fd, mode, c.hosts, &(struct obj_moved){ 0 });
}

int main(void)
{
	static struct run runs[COMPARE_MODES];
	unsigned int scale, ef, mi, p;
	uint64_t *edges = NULL;
	struct cost_model cm;
	char accel[16] = "?";
	size_t m = 0;
	int fails = 0;

	if (pool_open(&c.pc))
		compare_fail(&c, "no pool: %s", strerror(errno));
	c.me = c.pc.info.host_id;
	c.hosts = (unsigned int)cmdline_int("mhosts", 1);
	scale = (unsigned int)cmdline_int("mgraphscale", cmdline_int("mquick", 0) ? 14 : 17);
	ef = (unsigned int)cmdline_int("mgraphef", 10);
	if (c.hosts < 1 || c.hosts > 8 || scale < 10 || scale > 20 || !ef || ef > 64) {
		printf("graph: needs 1 to 8 hosts, mgraphscale= 10..20, mgraphef= 1..64 (scale 20: a pool of 512 MiB)\n");
		return 1;
	}
	cost_model_read(&cm);
	/* Host 0 draws the graph; the others learn its edge count. */
	if (c.me == 0) {
		m = graph_rmat_edges(scale, ef, &edges);
		if (!m)
			compare_fail(&c, "out of memory for %u << %u edges", ef, scale);
		__atomic_store_n(&c.pc.ctl->flag[0], m, __ATOMIC_RELEASE);
	}
	compare_sync(&c);
	m = __atomic_load_n(&c.pc.ctl->flag[0], __ATOMIC_ACQUIRE);
	compare_sync(&c);
	for (mi = 0; mi < COMPARE_MODES; mi++)
		run(&compare_modes[mi], edges, m, scale, &runs[mi]);
	if (c.me != 0)
		return 0;
	free(edges);
	cmdline_accel(accel, sizeof(accel));
	printf("MORSEL-RESULT-BEGIN graph\n");
	printf("graph: R-MAT scale %u (%u vertices), %zu edges (%u << %u drawn; self-loops and duplicates dropped), in-edge CSR and vertex arrays in one object, blocks of %u vertices split over %u hosts\n",
	       scale, 1u << scale, m, ef, scale, GRAPH_BLOCK, c.hosts);
	printf("platform: accelerator %s, %u hosts, %d vCPU(s) each, %s\n", accel, c.hosts,
	       cmdline_int("mvcpus", 1),
	       cmdline_int("morsel.stale_cache", 0) ? "stale-cache mode" : "normal mode");
	cost_model_print(&cm);
	for (mi = 0; mi < COMPARE_MODES; mi++) {
		struct run *r = &runs[mi];

		printf("GRAPH-RESULT %s scale %u edges %zu pagerank iterations %u hash %016llx bfs root %u levels %u reached %u hash %016llx\n",
		       compare_modes[mi].name, scale, m, r->iters, (unsigned long long)r->pr_hash,
		       graph_root(1u << scale), r->levels, r->reached,
		       (unsigned long long)r->level_hash);
		if (r->pr_hash != runs[0].pr_hash || r->level_hash != runs[0].level_hash ||
		    r->iters != runs[0].iters) {
			printf("graph: %s computed other results than %s (a stale read)\n",
			       compare_modes[mi].name, compare_modes[0].name);
			fails++;
		}
	}
	printf("%-9s %-10s %8s %9s %9s %9s %9s %10s %10s %10s\n", "phase", "mode", "secs*",
	       "faults", "xfers", "recalls", "wb MB", "copy-in MB", "model ms", "+lines ms");
	for (p = 0; p < PH_NR; p++) {
		for (mi = 0; mi < COMPARE_MODES; mi++) {
			struct run *r = &runs[mi];
			const struct obj_moved *v = &r->mv[p];
			double lines = compare_modes[mi].mode == MORSEL_COHERENCE_LINES ||
						       compare_modes[mi].mode == MORSEL_COHERENCE_PLAIN ?
					       r->lines[p] : 0;

			printf("%-9s %-10s %8.2f %9llu %9llu %9llu %9.2f %10.2f %10.2f %10.2f\n",
			       phnames[p], compare_modes[mi].name, r->secs[p],
			       (unsigned long long)(v->v[MV_RFAULT] + v->v[MV_WFAULT]),
			       (unsigned long long)v->v[MV_XFER], (unsigned long long)v->v[MV_RECALL],
			       v->v[MV_TO] / 1e6, v->v[MV_FROM] / 1e6, cost_model_us(&cm, v, 0) / 1000,
			       cost_model_us(&cm, v, lines) / 1000);
		}
	}
	printf("  all hosts; * %s time, not hardware time; +lines: with the lines a morsel or plain host\n", accel);
	printf("    loads from the pool on demand, estimated for a cache that holds the host's working\n");
	printf("    set (its CSR once; per iteration or level every line of the rewritten vector),\n");
	printf("    as many in flight as the model says;\n");
	printf("    copy modes read host-local copies\n");
	printf("  iterations: PageRank %u (L1 change < %g), BFS %u levels from vertex %u\n",
	       runs[0].iters, GRAPH_PR_TOL, runs[0].levels, graph_root(1u << scale));
	printf("MORSEL-RESULT-END graph\n");
	return fails ? 1 : 0;
}
