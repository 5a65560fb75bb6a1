// SPDX-License-Identifier: GPL-2.0
/*
 * The write-density sweep: how many bytes each design moves when a host
 * writes k bytes of every page and another host then reads them.
 *
 * For each coherence mode of an object (morsels: the pool's frames, cache
 * lines written back; page-copy DSM; twin-and-diff DSM, all real modes of
 * the same kernel, chosen per object at create) and k = 8, 64, 512, 4096:
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "object_client.h"
#include "pool_client.h"

#define PAGE 4096ul
#define LINE 64ul
#define PAGES 256
#define B0 30	/* the barrier slot used here */

/* Costs of the model (../shared/notes/cxl_anchors.md), all overridable. */
struct model {
	double fault_us;	/* a page fault and its PTE update */
	double recall_us;	/* an inter-host interrupt round trip and handler */
	double line_ns;		/* a CXL load of one line that misses */
	double gbps;		/* CXL bandwidth for bulk copies and write-backs */
};

static struct pool_client pc;
static unsigned int me, hosts, bar;

#define fail(...) pool_fail(&pc, "density", me, __VA_ARGS__)

/* A barrier used again and again: its slot counts every host's arrivals. */
static void sync_all(void)
{
	volatile uint64_t *b = &pc.ctl->barrier[B0];
	uint64_t end = now_ns() + 600000000000ull;

	bar++;
	__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(b, __ATOMIC_ACQUIRE) < (uint64_t)hosts * bar) {
		if (pool_aborted(&pc))
			fail("barrier %u: another host failed", bar);
		if (now_ns() > end)
			fail("barrier %u: timed out", bar);
		sleep_ms(1);
	}
}

static uint8_t val(unsigned int mode, unsigned int k, size_t page, size_t i)
{
	return (uint8_t)(mode * 71 + k * 3 + page * 13 + i * 7 + 1);
}

/* What one (mode, k) run counted, both hosts summed. */
struct row {
	double read_faults, write_faults, transfers, recalls;
	double to_pool, from_pool, copied, dirty, lines_read;
};

/* Host 1 hands its counters to host 0 through the control page. */
enum { F_RF = 40, F_WF, F_TR, F_RC, F_TO, F_FROM, F_COPIED, F_DIRTY, F_N };

static void publish(const struct morsel_obj_stat *s)
{
	uint64_t v[F_N - F_RF] = { s->read_faults, s->write_faults, s->transfers,
				   s->recalls_sent, s->bytes_to_pool, s->bytes_from_pool,
				   s->pages_copied, s->lines_dirty };
	unsigned int i;

	for (i = 0; i < F_N - F_RF; i++)
		__atomic_store_n(&pc.ctl->flag[F_RF + i], v[i], __ATOMIC_RELEASE);
}

static void add(struct row *r, const uint64_t *v)
{
	r->read_faults += v[0];
	r->write_faults += v[1];
	r->transfers += v[2];
	r->recalls += v[3];
	r->to_pool += v[4];
	r->from_pool += v[5];
	r->copied += v[6];
	r->dirty += v[7];
}

static void run(unsigned int flags, unsigned int mode, unsigned int k, struct row *r)
{
	char name[32];
	int fd = -1;
	uint8_t *m;
	size_t p, i;
	struct morsel_obj_stat s;
	uint64_t v[F_N - F_RF];

	snprintf(name, sizeof(name), "density-%u-%u", mode, k);
	obj_create_flags = flags;
	if (me == 0)
		fd = obj_create(&pc, name, PAGES * PAGE);
	sync_all();
	if (me == 1)
		fd = obj_open(&pc, name);
	if (fd < 0)
		fail("%s %s: %s", me ? "open" : "create", name, strerror(errno));
	m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		fail("mmap %s: %s", name, strerror(errno));
	if (me == 0)
		for (p = 0; p < PAGES; p++)
			for (i = 0; i < k; i++)
				m[p * PAGE + i] = val(mode, k, p, i);
	sync_all();
	if (me == 1) {
		for (p = 0; p < PAGES; p++)
			for (i = 0; i < k; i++)
				if (m[p * PAGE + i] != val(mode, k, p, i))
					fail("%s page %zu byte %zu: %#x, not %#x", name, p, i,
					     m[p * PAGE + i], val(mode, k, p, i));
	}
	sync_all();
	/* Counted before the unmap: a last close writes back, but not for this row. */
	s = obj_stat(fd);
	if (s.coherence != mode)
		fail("%s: coherence %u, not %u", name, s.coherence, mode);
	if (me == 1)
		publish(&s);
	sync_all();
	if (me == 0) {
		memset(r, 0, sizeof(*r));
		v[0] = s.read_faults, v[1] = s.write_faults, v[2] = s.transfers;
		v[3] = s.recalls_sent, v[4] = s.bytes_to_pool, v[5] = s.bytes_from_pool;
		v[6] = s.pages_copied, v[7] = s.lines_dirty;
		add(r, v);
		for (i = 0; i < F_N - F_RF; i++)
			v[i] = __atomic_load_n(&pc.ctl->flag[F_RF + i], __ATOMIC_ACQUIRE);
		add(r, v);
		/* A morsel reader loads the lines it touches; a copy reader copied. */
		r->lines_read = mode == MORSEL_COHERENCE_LINES ? (double)PAGES * ((k + LINE - 1) / LINE) : 0;
	}
	munmap(m, PAGES * PAGE);
	close(fd);
	sync_all();
	if (me == 0 && obj_delete(&pc, name))
		fail("delete %s", name);
}

static double env_num(const char *key, double def)
{
	char buf[32];

	return cmdline_str(key, buf, sizeof(buf)) ? def : atof(buf);
}

static double moved(const struct row *r)
{
	return r->to_pool + r->from_pool + r->lines_read * LINE;
}

/* Modelled microseconds for the whole run (both hosts' work, serialised). */
static double model_us(const struct model *c, const struct row *r)
{
	double bytes = r->to_pool + r->from_pool;

	return (r->read_faults + r->write_faults) * c->fault_us + r->recalls * c->recall_us +
	       r->lines_read * c->line_ns / 1000 + r->copied * c->line_ns / 1000 +
	       bytes / (c->gbps * 1000);
}

int main(int argc, char **argv)
{
	static const unsigned int ks[] = { 8, 64, 512, 4096 };
	static const struct {
		unsigned int flags, mode;
		const char *name;
	} modes[] = {
		{ 0, MORSEL_COHERENCE_LINES, "morsels" },
		{ MORSEL_CREATE_PAGECOPY, MORSEL_COHERENCE_PAGECOPY, "page-copy" },
		{ MORSEL_CREATE_TWINDIFF, MORSEL_COHERENCE_TWINDIFF, "twin-diff" },
	};
	struct row rows[3][4];
	struct model c;
	char accel[16] = "?";
	int check = argc > 1 && !strcmp(argv[1], "-c"), stale;
	unsigned int mi, ki;
	double ratio;

	if (pool_open(&pc))
		fail("no pool: %s", strerror(errno));
	me = pc.info.host_id;
	hosts = (unsigned int)cmdline_int("mhosts", 1);
	if (hosts < 2) {
		printf("density: needs 2 hosts\n");
		return 1;
	}
	if (me > 1) {
		/* Only hosts 0 and 1 take part; the others pass the barriers. */
		for (mi = 0; mi < 3 * 4 * 5; mi++)
			sync_all();
		return 0;
	}
	stale = cmdline_int("morsel.stale_cache", 0);
	c.fault_us = env_num("mfault_us", 1.5);
	c.recall_us = env_num("mrecall_us", 5.0);
	c.line_ns = env_num("mline_ns", 250);
	c.gbps = env_num("mgbps", 31.8);
	for (mi = 0; mi < 3; mi++)
		for (ki = 0; ki < 4; ki++)
			run(modes[mi].flags, modes[mi].mode, ks[ki], &rows[mi][ki]);
	if (me != 0)
		return 0;
	cmdline_accel(accel, sizeof(accel));
	printf("MORSEL-RESULT-BEGIN density\n");
	printf("write density: host 0 writes k bytes of each of %u pages, host 1 reads them (every byte checked)\n",
	       PAGES);
	printf("platform: accelerator %s, %u hosts, %s; counts per page, both hosts\n", accel, hosts,
	       stale ? "stale-cache mode (a morsel write-back's dirty lines are measured)" :
		       "normal mode (a morsel write-back's dirty lines are not known: 0 below)");
	printf("model: fault %.1f us, recall round trip %.1f us, CXL line load %.0f ns, CXL bandwidth %.1f GB/s\n",
	       c.fault_us, c.recall_us, c.line_ns, c.gbps);
	printf("  (mfault_us= mrecall_us= mline_ns= mgbps= on the kernel command line change them)\n");
	printf("%-10s %5s %7s %7s %7s %8s %9s %9s %9s %9s %9s\n", "mode", "k", "rfault", "wfault",
	       "xfers", "recalls", "wb B", "copy-in B", "lines rd*", "moved B", "model us");
	for (mi = 0; mi < 3; mi++) {
		for (ki = 0; ki < 4; ki++) {
			struct row *r = &rows[mi][ki];

			printf("%-10s %5u %7.2f %7.2f %7.2f %8.2f %9.1f %9.1f %9.2f %9.1f %9.2f\n",
			       modes[mi].name, ks[ki], r->read_faults / PAGES,
			       r->write_faults / PAGES, r->transfers / PAGES, r->recalls / PAGES,
			       r->to_pool / PAGES, r->from_pool / PAGES, r->lines_read / PAGES,
			       moved(r) / PAGES, model_us(&c, r) / PAGES);
		}
	}
	printf("  * lines a morsel reader loads on demand, from the access pattern (no counter sees them)\n");
	for (ki = 0; ki < 4; ki++) {
		ratio = moved(&rows[1][ki]) / (moved(&rows[0][ki]) ? moved(&rows[0][ki]) : 1);
		printf("k = %4u: page-copy moves %.1fx the bytes of morsels, twin-diff %.1fx\n", ks[ki],
		       ratio, moved(&rows[2][ki]) / (moved(&rows[0][ki]) ? moved(&rows[0][ki]) : 1));
	}
	printf("MORSEL-RESULT-END density\n");
	ratio = moved(&rows[1][1]) / (moved(&rows[0][1]) ? moved(&rows[0][1]) : 1);
	if (check && (!stale || ratio < 3)) {
		printf("density: at k = 64 morsels must move at least 3x fewer bytes than page-copy (%.1fx%s)\n",
		       ratio, stale ? "" : "; needs morsel.stale_cache=1");
		return 1;
	}
	return 0;
}
