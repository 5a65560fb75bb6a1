// SPDX-License-Identifier: GPL-2.0
/*
 * The write-density sweep: how many bytes each design moves when a host
 * writes k bytes of every page and another host then reads them.
 *
 * For each coherence mode of an object (morsels: the pool's frames, cache
 * lines written back; page-copy DSM; twin-and-diff DSM; plain, the
 * hardware-coherent upper bound that writes nothing back: all real modes
 * of the same kernel, chosen per object at create) and k = 8, 64, 512, 4096:
 * host 0 creates an object of PAGES pages and writes k bytes of each page
 * (through a mapping); host 1 then reads those k bytes of every page and
 * checks every one (a wrong byte fails the run). Host 1's reads recall
 * host 0's pages, which are written back then.
 *
 * The kernel counts what moved, per object and host (MORSEL_OBJ_STAT):
 * bytes written back to the pool (whole pages, changed words, or the
 * lines that were dirty) and bytes copied from the pool into host-local
 * copies; faults, transfers and recalls. A morsel reader copies nothing:
 * it loads the lines it touches on demand, which no kernel counter sees;
 * those are counted from the access pattern (ceil(k / 64) lines per page)
 * and marked so. The lines a morsel host wrote back are measured exactly
 * in stale-cache mode (the emulated cache compares its lines with the
 * pool); in normal mode the kernel flushes every line of the page and
 * cannot tell which were dirty, so run with morsel.stale_cache=1 for the
 * morsel rows (make eval does; the counts of the copy modes are the same
 * in both cache modes).
 *
 * A modelled time per page from these counts and published costs is
 * printed beside them, with its parameters; TCG times are not hardware
 * times, and none is measured here.
 *
 * Exit status 1 on a wrong byte, a failed call or a barrier timeout;
 * with -c, also unless morsels move at least 3x fewer bytes than
 * page-copy at k = 64 (counts, not times: deterministic).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "cost_model.h"

#define PAGE 4096ul
#define LINE 64ul
#define PAGES 256
#define KS 4

static struct compare c = { .prog = "density", .slot = 30 };

static uint8_t val(unsigned int mode, unsigned int k, size_t page, size_t i)
{
	return (uint8_t)(mode * 71 + k * 3 + page * 13 + i * 7 + 1);
}

/* What one (mode, k) run counted, both hosts summed. */
struct row {
	struct obj_moved m;
	double lines_read;
};

static void run(const struct compare_mode *mode, unsigned int k, struct row *r)
{
	char name[32];
	uint8_t *m;
	size_t p, i;
	int fd;

	snprintf(name, sizeof(name), "density-%u-%u", mode->mode, k);
	m = compare_map(&c, name, PAGES * PAGE, mode, &fd);
	if (c.me == 0)
		for (p = 0; p < PAGES; p++)
			for (i = 0; i < k; i++)
				m[p * PAGE + i] = val(mode->mode, k, p, i);
	compare_sync(&c);
	if (c.me == 1) {
		for (p = 0; p < PAGES; p++)
			for (i = 0; i < k; i++)
				if (m[p * PAGE + i] != val(mode->mode, k, p, i))
					compare_fail(&c, "%s page %zu byte %zu: %#x, not %#x", name, p,
						     i, m[p * PAGE + i], val(mode->mode, k, p, i));
	}
	compare_sync(&c);
	compare_done(&c, name, m, PAGES * PAGE, fd, mode, 2, &r->m);
	/* A morsel reader loads the lines it touches; a copy reader copied. */
	r->lines_read = mode->mode == MORSEL_COHERENCE_LINES || mode->mode == MORSEL_COHERENCE_PLAIN ?
				(double)PAGES * ((k + LINE - 1) / LINE) : 0;
}

static double moved(const struct row *r)
{
	return (double)r->m.v[MV_TO] + r->m.v[MV_FROM] + r->lines_read * LINE;
}

/* How many times the bytes of row @a are those of row @b. */
static double times(const struct row *a, const struct row *b)
{
	return moved(a) / (moved(b) ? moved(b) : 1);
}

int main(int argc, char **argv)
{
	static const unsigned int ks[KS] = { 8, 64, 512, 4096 };
	struct row rows[COMPARE_MODES][KS];
	struct cost_model cm;
	char accel[16] = "?";
	int check = argc > 1 && !strcmp(argv[1], "-c"), stale;
	unsigned int mi, ki;
	double ratio;

	if (pool_open(&c.pc))
		compare_fail(&c, "no pool: %s", strerror(errno));
	c.me = c.pc.info.host_id;
	c.hosts = (unsigned int)cmdline_int("mhosts", 1);
	if (c.hosts < 2) {
		printf("density: needs 2 hosts\n");
		return 1;
	}
	stale = cmdline_int("morsel.stale_cache", 0);
	cost_model_read(&cm);
	/* Hosts beyond 1 only pass the barriers (compare_map and _done have them). */
	for (mi = 0; mi < COMPARE_MODES; mi++)
		for (ki = 0; ki < KS; ki++)
			run(&compare_modes[mi], ks[ki], &rows[mi][ki]);
	if (c.me != 0)
		return 0;
	cmdline_accel(accel, sizeof(accel));
	printf("MORSEL-RESULT-BEGIN density\n");
	printf("write density: host 0 writes k bytes of each of %u pages, host 1 reads them (every byte checked)\n",
	       PAGES);
	printf("platform: accelerator %s, %u hosts, %s; counts per page, both hosts\n", accel,
	       c.hosts, stale ? "stale-cache mode (a morsel write-back's dirty lines are measured)" :
				"normal mode (a morsel write-back's dirty lines are not known: 0 below)");
	cost_model_print(&cm);
	printf("%-10s %5s %7s %7s %7s %8s %9s %9s %9s %9s %9s\n", "mode", "k", "rfault", "wfault",
	       "xfers", "recalls", "wb B", "copy-in B", "lines rd*", "moved B", "model us");
	for (mi = 0; mi < COMPARE_MODES; mi++) {
		for (ki = 0; ki < KS; ki++) {
			struct row *r = &rows[mi][ki];

			printf("%-10s %5u %7.2f %7.2f %7.2f %8.2f %9.1f %9.1f %9.2f %9.1f %9.2f\n",
			       compare_modes[mi].name, ks[ki], (double)r->m.v[MV_RFAULT] / PAGES,
			       (double)r->m.v[MV_WFAULT] / PAGES, (double)r->m.v[MV_XFER] / PAGES,
			       (double)r->m.v[MV_RECALL] / PAGES, (double)r->m.v[MV_TO] / PAGES,
			       (double)r->m.v[MV_FROM] / PAGES, r->lines_read / PAGES,
			       moved(r) / PAGES, cost_model_us(&cm, &r->m, r->lines_read) / PAGES);
		}
	}
	printf("  * lines a morsel or plain reader loads on demand, from the access pattern (no counter sees them)\n");
	for (ki = 0; ki < KS; ki++)
		printf("k = %4u: page-copy moves %.1fx the bytes of morsels, twin-diff %.1fx, plain %.2fx\n",
		       ks[ki], times(&rows[1][ki], &rows[0][ki]), times(&rows[2][ki], &rows[0][ki]),
		       times(&rows[3][ki], &rows[0][ki]));
	printf("MORSEL-RESULT-END density\n");
	ratio = times(&rows[1][1], &rows[0][1]);
	if (check && (!stale || ratio < 3)) {
		printf("density: at k = 64 morsels must move at least 3x fewer bytes than page-copy (%.1fx%s)\n",
		       ratio, stale ? "" : "; needs morsel.stale_cache=1");
		return 1;
	}
	return 0;
}
