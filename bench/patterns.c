// SPDX-License-Identifier: GPL-2.0
/*
 * The sharing-pattern matrix: the same workloads on morsel, page-copy and
 * twin-and-diff objects (modes of the same kernel), on every host of the
 * run at once, each with a check of what it read:
 *
 *  read-mostly W%  each host reads or (W% of the time) writes a random
 *                  slot of OBJ_PAGES pages; slot s is written only by host
 *                  s % hosts, with a count that only grows: a reader that
 *                  sees one go back read stale data; at the end every host
 *                  reads every slot's final count;
 *  prod/cons       host 0 writes every page with the round's number,
 *                  the others read and check every word, ROUNDS rounds;
 *  false sharing   every host increments its own word of one page;
 *                  each word must end at the host's count;
 *  counter         every host increments one shared word under a lock
 *                  in the coherent region (the data stays in the object):
 *                  it must end at hosts * increments.
 *
 * Per workload and mode: operations per second under this accelerator
 * (TCG times are not hardware times: stated beside them), and per
 * operation what the kernel counted on all hosts (faults, transfers,
 * recalls, bytes to and from the pool) and a modelled time from those
 * counts (cost_model.h). Run in stale-cache mode for the morsel rows'
 * written-back bytes (see bench/density.c). Exit 1 on a wrong value.
 *
 * Usage: patterns [-q]   (-q: fewer operations, the smoke run of make test)
 * mreps=R on the kernel command line repeats every run R times (at most
 * 9), the modes taking turns, and prints medians with the modelled
 * time's range: under TCG the hosts' interleaving, and with it the count
 * of transfers, changes from run to run. With R >= 3 each workload gets a
 * verdict: the ratio of morsels' mean modelled time to each other mode's,
 * with its 95% interval (tests/lib/interval.h), and which is cheaper only
 * where the interval excludes 1.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "cost_model.h"
#include "interval.h"

#define PAGE 4096ul
#define OBJ_PAGES 64
#define SLOTS (OBJ_PAGES * PAGE / 8)
#define LOCK_FLAG 63	/* the counter's lock word (host 7's last stat word: reset before use) */

static struct compare c = { .prog = "patterns", .slot = 31 };
static unsigned int me, hosts;
static unsigned int ops;	/* per host and workload */

#define fail(...) compare_fail(&c, __VA_ARGS__)
#define sync_all() compare_sync(&c)

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Slot @s of a read-mostly run: (writer's count << 8) | writer. */
static void read_mostly(volatile uint64_t *m, unsigned int wpct)
{
	uint64_t *seen = calloc(SLOTS, sizeof(*seen)), mine = 0, v;
	unsigned int i, h;
	size_t s;

	if (!seen)
		fail("out of memory");
	for (i = 0; i < ops; i++) {
		s = rnd() % SLOTS;
		if (rnd() % 100 < wpct) {
			/* A slot of ours: the next of ours. */
			s -= s % hosts;
			s += me;
			if (s >= SLOTS)
				s -= hosts;
			m[s] = (++mine << 8) | me;
			seen[s] = m[s];
			continue;
		}
		v = m[s];
		if (v && (v & 0xff) != s % hosts)
			fail("read-mostly: slot %zu holds %#llx, written by no host", s,
			     (unsigned long long)v);
		if (v < seen[s])
			fail("read-mostly: slot %zu went back from %#llx to %#llx (stale)", s,
			     (unsigned long long)seen[s], (unsigned long long)v);
		seen[s] = v;
	}
	/* Every host's last value of each of its slots, then everybody checks. */
	for (s = me; s < SLOTS; s += hosts)
		if (m[s] != seen[s])
			fail("read-mostly: own slot %zu holds %#llx, wrote %#llx", s,
			     (unsigned long long)m[s], (unsigned long long)seen[s]);
	/* The sum of our slots' last values, for the others to check. */
	for (s = me, v = 0; s < SLOTS; s += hosts)
		v += seen[s];
	__atomic_store_n(&c.pc.ctl->flag[me], v, __ATOMIC_RELEASE);
	sync_all();
	for (s = 0; s < SLOTS; s++) {
		if (m[s] < seen[s])
			fail("read-mostly: at the end slot %zu holds %#llx, saw %#llx", s,
			     (unsigned long long)m[s], (unsigned long long)seen[s]);
		seen[s] = m[s];
	}
	for (h = 0; h < hosts; h++) {
		for (s = h, v = 0; s < SLOTS; s += hosts)
			v += seen[s];
		if (v != __atomic_load_n(&c.pc.ctl->flag[h], __ATOMIC_ACQUIRE))
			fail("read-mostly: host %u's slots read back stale at the end", h);
	}
	/* Every host has read the sums before any host reuses the flags. */
	sync_all();
	free(seen);
}

static void prod_cons(volatile uint64_t *m)
{
	unsigned int r, rounds = ops / 200 ? ops / 200 : 1;
	size_t i;

	for (r = 1; r <= rounds; r++) {
		if (me == 0)
			for (i = 0; i < SLOTS; i++)
				m[i] = ((uint64_t)r << 32) | i;
		sync_all();
		if (me != 0)
			for (i = 0; i < SLOTS; i++)
				if (m[i] != (((uint64_t)r << 32) | i))
					fail("prod/cons round %u: word %zu is %#llx", r, i,
					     (unsigned long long)m[i]);
		sync_all();
	}
}

static void false_sharing(volatile uint64_t *m)
{
	unsigned int i, h;

	for (i = 0; i < ops; i++)
		m[me * 8]++;	/* one line each: the page is what is shared */
	sync_all();
	for (h = 0; h < hosts; h++)
		if (m[h * 8] != ops)
			fail("false sharing: host %u's word is %llu, not %u", h,
			     (unsigned long long)m[h * 8], ops);
}

static void counter(volatile uint64_t *m)
{
	volatile uint64_t *lock = &c.pc.ctl->flag[LOCK_FLAG];
	unsigned int i, n = ops / 4 ? ops / 4 : 1;
	uint64_t expect = 0;

	for (i = 0; i < n; i++) {
		while (__atomic_exchange_n(lock, me + 1, __ATOMIC_ACQUIRE))
			;
		m[0]++;
		__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	}
	sync_all();
	expect = (uint64_t)n * hosts;
	if (m[0] != expect)
		fail("counter: %llu, not %llu (lost increments)", (unsigned long long)m[0],
		     (unsigned long long)expect);
}

enum { W_RM0, W_RM5, W_RM50, W_PC, W_FS, W_CTR, W_NR };
static const char *const wnames[W_NR] = { "read-mostly-0%", "read-mostly-5%", "read-mostly-50%",
					  "prod/cons", "false-sharing", "counter" };

/* Operations each workload counts (all hosts). */
static double work_ops(unsigned int w)
{
	switch (w) {
	case W_PC:
		return (double)(ops / 200 ? ops / 200 : 1) * SLOTS * hosts;
	case W_CTR:
		return (double)(ops / 4 ? ops / 4 : 1) * hosts;
	default:
		return (double)ops * hosts;
	}
}

struct result {
	double secs;
	struct obj_moved m;
};

static void run(unsigned int w, const struct compare_mode *mode, struct result *res)
{
	char name[32];
	volatile uint64_t *m;
	uint64_t t0;
	int fd;

	snprintf(name, sizeof(name), "pat-%u-%u", w, mode->mode);
	m = compare_map(&c, name, OBJ_PAGES * PAGE, mode, &fd);
	rnd_state = 0x9e3779b97f4a7c15ull * (me + 1) + w;
	__atomic_store_n(&c.pc.ctl->flag[LOCK_FLAG], 0, __ATOMIC_RELEASE);
	sync_all();
	t0 = now_ns();
	switch (w) {
	case W_RM0:
		read_mostly(m, 0);
		break;
	case W_RM5:
		read_mostly(m, 5);
		break;
	case W_RM50:
		read_mostly(m, 50);
		break;
	case W_PC:
		prod_cons(m);
		break;
	case W_FS:
		false_sharing(m);
		break;
	default:
		counter(m);
		break;
	}
	sync_all();
	res->secs = (now_ns() - t0) / 1e9;
	compare_done(&c, name, (void *)m, OBJ_PAGES * PAGE, fd, mode, hosts, &res->m);
}

#define MAX_REPS 9
#define COLS 7

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n sorted values. */
static double med(const double *v, unsigned int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static struct result res[W_NR][COMPARE_MODES][MAX_REPS];
	struct cost_model cm;
	char accel[16] = "?";
	unsigned int w, mi, r, reps;

	if (pool_open(&c.pc))
		fail("no pool: %s", strerror(errno));
	me = c.me = c.pc.info.host_id;
	hosts = c.hosts = (unsigned int)cmdline_int("mhosts", 1);
	if (hosts < 2 || hosts > 8) {
		printf("patterns: needs 2 to 8 hosts\n");
		return 1;
	}
	ops = argc > 1 && !strcmp(argv[1], "-q") ? 400 : 2000;
	reps = (unsigned int)cmdline_int("mreps", 1);
	reps = reps < 1 ? 1 : reps > MAX_REPS ? MAX_REPS : reps;
	cost_model_read(&cm);
	/* The modes take turns within each repetition: drift hits all alike. */
	for (w = 0; w < W_NR; w++)
		for (r = 0; r < reps; r++)
			for (mi = 0; mi < COMPARE_MODES; mi++)
				run(w, &compare_modes[(mi + r) % COMPARE_MODES],
				    &res[w][(mi + r) % COMPARE_MODES][r]);
	if (me != 0)
		return 0;
	cmdline_accel(accel, sizeof(accel));
	printf("MORSEL-RESULT-BEGIN patterns\n");
	printf("sharing patterns: %u hosts at once, %u operations per host and workload, an object of %u pages (every value read checked)\n",
	       hosts, ops, OBJ_PAGES);
	printf("platform: accelerator %s, %u hosts, %d vCPU(s) each, %s, %u repetition(s): medians\n",
	       accel, hosts, cmdline_int("mvcpus", 1),
	       cmdline_int("morsel.stale_cache", 0) ? "stale-cache mode" : "normal mode", reps);
	cost_model_print(&cm);
	printf("%-16s %-10s %9s %8s %8s %8s %9s %9s %9s %19s\n", "workload", "mode", "kops/s*",
	       "faults", "xfers", "recalls", "wb B", "copy-in B", "model us", "(min..max)");
	for (w = 0; w < W_NR; w++) {
		for (mi = 0; mi < COMPARE_MODES; mi++) {
			double n = work_ops(w), v[COLS][MAX_REPS];
			unsigned int k;

			for (r = 0; r < reps; r++) {
				struct result *x = &res[w][mi][r];

				v[0][r] = n / x->secs / 1000;
				v[1][r] = (double)(x->m.v[MV_RFAULT] + x->m.v[MV_WFAULT]) / n;
				v[2][r] = (double)x->m.v[MV_XFER] / n;
				v[3][r] = (double)x->m.v[MV_RECALL] / n;
				v[4][r] = (double)x->m.v[MV_TO] / n;
				v[5][r] = (double)x->m.v[MV_FROM] / n;
				v[6][r] = cost_model_us(&cm, &x->m, 0) / n;
			}
			for (k = 0; k < COLS; k++)
				qsort(v[k], reps, sizeof(double), cmp_double);
			printf("%-16s %-10s %9.1f %8.4f %8.4f %8.4f %9.1f %9.1f %9.4f   (%.4f..%.4f)\n",
			       wnames[w], compare_modes[mi].name, med(v[0], reps), med(v[1], reps),
			       med(v[2], reps), med(v[3], reps), med(v[4], reps), med(v[5], reps),
			       med(v[6], reps), v[6][0], v[6][reps - 1]);
		}
	}
	printf("  per operation, all hosts; * %s time, not hardware time; the model leaves out the\n",
	       accel);
	printf("    lines a morsel or plain host loads on demand (no counter sees them)\n");
	for (w = 0; reps >= 3 && w < W_NR; w++) {
		struct interval iv[COMPARE_MODES];
		double v[MAX_REPS];

		for (mi = 0; mi < COMPARE_MODES; mi++) {
			for (r = 0; r < reps; r++)
				v[r] = cost_model_us(&cm, &res[w][mi][r].m, 0) / work_ops(w);
			iv[mi] = interval_of(v, reps);
		}
		printf("verdict %-16s", wnames[w]);
		for (mi = 1; mi < COMPARE_MODES; mi++) {
			struct interval q;

			if (iv[0].mean <= 0 || iv[mi].mean <= 0) {
				printf(" morsels/%s n/a;", compare_modes[mi].name);
				continue;
			}
			q = interval_ratio(&iv[0], &iv[mi]);
			printf(" morsels/%s %.2f [%.2f, %.2f] %s;", compare_modes[mi].name, q.mean,
			       q.mean - q.half, q.mean + q.half,
			       q.mean + q.half < 1 ? "morsels cheaper" :
			       q.mean - q.half > 1 ? "morsels dearer" : "not told apart");
		}
		printf("\n");
	}
	if (reps >= 3)
		printf("  verdict: mean modelled time of %u repetitions, ratio with its 95%% interval\n",
		       reps);
	printf("MORSEL-RESULT-END patterns\n");
	return 0;
}
