// SPDX-License-Identifier: GPL-2.0
/*
 * Policy A/B, inside the guests: the same workloads on the same two hosts
 * under each ownership policy, one after the other in one boot. Both
 * hosts attach the same policy (bin/morsel-policy) before each pass and
 * detach it after. Workloads (host 0 = A, host 1 = B):
 *
 *   prodcons       A writes 32 records into each of 8 pages, msync() after
 *                  each record (its release point); then B reads them all.
 *                  op: one record on A (store + msync). Lazy should win:
 *                  eager writes back and re-faults at every record.
 *   readmostly     A updates one of 16 pages and msyncs; B scans all 16;
 *                  8 times a round. op: B's scan. Eager should win: B finds the page shared
 *                  and written back, lazy makes B recall it from A.
 *   seqwrite       A writes 128 pages in order; B reads them all.
 *                  op: one page written by A. A run grant saves faults.
 *   writeafterread B reads 64 pages; 100 ms later A writes them.
 *                  op: one page written by A. Readers that dropped their
 *                  copies (selfinval) spare A the recalls.
 *   syncloop       A stores to its page and msyncs, 256 times; then B
 *                  reads it. op: one store + msync on A but the first
 *                  (which faults: B took a copy), so one call of the
 *                  policy's sync hook and nothing across hosts: the
 *                  policy interface's cost with the least noise.
 *
 * Every value read is checked (column "errors" must be 0, and a host that
 * read a wrong value, or saw msync() fail, exits 1, as it does on a
 * barrier timeout or a policy that does not attach or detach). The policies
 * take turns in REPS passes, each pass starting with another policy, so
 * that a slow phase of the machine does not land on one policy only.
 * Each (workload, policy) gets the 95% interval of its mean time per
 * operation, with the round as the sample (tests/lib/interval.h).
 *
 * Then the policy interface's own cost: the built-in default against
 * lazy, a BPF policy that decides the same, in OVER_PASSES pairs of
 * passes back to back (which goes first alternates); per workload the
 * mean of the pairs' ratios lazy / default and its 95% interval.
 *
 * Host 0 prints one line per workload and policy (AB) and per workload
 * (OVERHEAD) between MORSEL-AB-BEGIN and MORSEL-AB-END; the host side
 * (bench/ab.sh) makes the table, the verdicts and the plot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "interval.h"
#include "percentile.h"
#include "pool_client.h"

#define PAGE 4096ul
#define SLOT 40			/* the reusable barrier's slot */
#define ROUNDS 6		/* timed rounds per workload, policy and pass */
#define REPS 3			/* passes over all policies */
#define OVER_PASSES 8		/* pairs of passes, default and lazy */
#define MAX_OPS (OVER_PASSES * ROUNDS * 256)

enum { F_MED, F_P99, F_MEAN, F_OPS, F_XFER, F_WB, F_ERR, F_CI, F_NR };	/* ctl->flag[] from host 1 */
#define F_OVER 16		/* ctl->flag[F_OVER + pass]: host 1's ratios, x 1e9 */

struct workload {
	const char *name;
	unsigned int pages;
	unsigned int measured_on;	/* host whose ops are timed */
};

static const struct workload workloads[] = {
	{ "prodcons", 8, 0 },
	{ "readmostly", 16, 1 },
	{ "seqwrite", 128, 0 },
	{ "writeafterread", 64, 0 },
	{ "syncloop", 1, 0 },
};

static const char *const policies[] = {
	"default", "eager", "lazy", "seqgrant", "selfinval", "hold",
};

static struct pool_client pc;
static unsigned int me;
#define NW (sizeof(workloads) / sizeof(workloads[0]))
#define NP (sizeof(policies) / sizeof(policies[0]))

/*
 * What one host measured of one workload under one policy, over all
 * passes: every operation's time, and each round's time and mean time per
 * operation (the samples of its interval).
 */
struct result {
	uint64_t lat[MAX_OPS], round_ns[OVER_PASSES * ROUNDS];
	double round_mean[OVER_PASSES * ROUNDS];
	unsigned int nlat, nround;
	uint64_t xfer, wb, errors;
};

static struct result results[NW][NP];
/* The overhead passes: [workload][0 default, 1 lazy], and each pass's mean. */
static struct result over[NW][2];
static double over_mean[NW][2][OVER_PASSES];
static uint64_t gen, *lat;
static unsigned int *nlat;
static uint64_t errors;

/* Give up, and make the other host's barriers give up too. */
static int fail(void)
{
	pool_abort(&pc);
	return 1;
}

/* A barrier that can be used again: the k-th use waits for 2k arrivals. */
static void sync_both(void)
{
	volatile uint64_t *b = &pc.ctl->barrier[SLOT];
	uint64_t end = now_ns() + 600ull * 1000000000ull;

	gen++;
	__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(b, __ATOMIC_ACQUIRE) < 2 * gen) {
		if (pool_aborted(&pc) || now_ns() > end) {
			fprintf(stderr,
				"policybench: host %u: barrier %llu: %s\n", me,
				(unsigned long long)gen,
				pool_aborted(&pc) ? "the other host failed" :
						    "timed out");
			exit(fail());
		}
		usleep(50);
	}
}

static long long own(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/morsel/ownership/%s", name);
	return sysfs_num(path);
}

static void timed_start(uint64_t *t0)
{
	*t0 = now_ns();
}

static void timed_end(uint64_t t0)
{
	if (*nlat < MAX_OPS)
		lat[(*nlat)++] = now_ns() - t0;
}

static void expect(uint64_t got, uint64_t want)
{
	if (got != want)
		errors++;
}

/* The release point: msync(MS_SYNC) of one page; a failure is an error. */
static void sync_page(volatile uint8_t *m, unsigned int page)
{
	if (msync((void *)(m + (size_t)page * PAGE), PAGE, MS_SYNC))
		errors++;
}

static volatile uint64_t *word(volatile uint8_t *m, unsigned int page, unsigned int i)
{
	return (volatile uint64_t *)(m + (size_t)page * PAGE) + i;
}

/* One round of a workload; @r is new, @prev what its last round wrote. */
static void round_of(const struct workload *w, volatile uint8_t *m, uint64_t r,
		     uint64_t prev)
{
	unsigned int p, k;
	uint64_t t0;

	if (!strcmp(w->name, "prodcons")) {
		if (me == 0)
			for (p = 0; p < w->pages; p++)
				for (k = 0; k < 32; k++) {
					timed_start(&t0);
					*word(m, p, k * 8) = r << 16 | p << 8 | k;
					sync_page(m, p);
					timed_end(t0);
				}
		sync_both();
		if (me == 1)
			for (p = 0; p < w->pages; p++)
				for (k = 0; k < 32; k++)
					expect(*word(m, p, k * 8), r << 16 | p << 8 | k);
		sync_both();
	} else if (!strcmp(w->name, "readmostly")) {
		for (k = 0; k < 8; k++) {
			unsigned int up = (r * 8 + k) % w->pages;

			if (me == 0) {
				*word(m, up, 0) = r << 8 | k;
				sync_page(m, up);
			}
			sync_both();
			if (me == 1) {
				uint64_t v = 0;

				timed_start(&t0);
				for (p = 0; p < w->pages; p++)
					v += *word(m, p, 0) * (p == up);
				timed_end(t0);
				expect(v, r << 8 | k);
			}
			sync_both();
		}
	} else if (!strcmp(w->name, "seqwrite")) {
		if (me == 0)
			for (p = 0; p < w->pages; p++) {
				timed_start(&t0);
				*word(m, p, 0) = r;
				timed_end(t0);
			}
		sync_both();
		if (me == 1)
			for (p = 0; p < w->pages; p++)
				expect(*word(m, p, 0), r);
		sync_both();
	} else if (!strcmp(w->name, "syncloop")) {
		if (me == 0)
			for (k = 0; k < 256; k++) {
				timed_start(&t0);
				*word(m, 0, k) = r << 16 | k;
				sync_page(m, 0);
				if (k)
					timed_end(t0);
			}
		sync_both();
		if (me == 1)
			for (k = 0; k < 256; k++)
				expect(*word(m, 0, k), r << 16 | k);
		sync_both();
	} else {	/* writeafterread */
		if (me == 1)
			for (p = 0; p < w->pages; p++)
				expect(*word(m, p, 0), prev);
		sync_both();
		usleep(100000);
		if (me == 0)
			for (p = 0; p < w->pages; p++) {
				timed_start(&t0);
				*word(m, p, 0) = r;
				timed_end(t0);
			}
		sync_both();
	}
}

static uint64_t pct(uint64_t *v, unsigned int n, double p)
{
	return percentile(v, n, p);
}

/* Attach @name with the loader (nothing for "default"); 0 or -1. */
static pid_t attach(const char *name)
{
	char cmd[96], state[32] = "", now[40] = "";
	pid_t pid;
	int i;

	if (!strcmp(name, "default"))
		return 0;
	snprintf(cmd, sizeof(cmd), "exec morsel-policy -q %s >/tmp/ab-%s.log 2>&1", name, name);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		sysfs_str("/sys/kernel/morsel/policy/state", state, sizeof(state));
		sysfs_str("/sys/kernel/morsel/policy/name", now, sizeof(now));
		if (!strcmp(state, "enabled") && !strcmp(now, name))
			return pid;
		usleep(20000);
	}
	fprintf(stderr, "policybench: %s did not attach (state %s)\n", name, state);
	kill(pid, SIGTERM);
	return -1;
}

static int detach(pid_t pid)
{
	int st = 0;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int open_object(const struct workload *w)
{
	struct morsel_create c = { .size = w->pages * PAGE };
	struct morsel_open o = { 0 };
	int fd = -1;

	snprintf(c.name, sizeof(c.name), "ab-%s", w->name);
	snprintf(o.name, sizeof(o.name), "ab-%s", w->name);
	if (me == 0)
		fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
	sync_both();
	if (me == 1)
		fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
	if (fd < 0) {
		fprintf(stderr, "policybench: object %s: %s\n", c.name, strerror(errno));
		exit(fail());
	}
	return fd;
}

/* The mean of @n samples of @v, in ns (0 if none). */
static double mean_of(const uint64_t *v, unsigned int n)
{
	double sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += (double)v[i];
	return n ? sum / n : 0;
}

/* One workload under the attached policy: a warm-up round, then ROUNDS. */
static void run_workload(unsigned int wi, struct result *res, volatile uint8_t *m,
			 uint64_t *r, uint64_t *last)
{
	const struct workload *w = &workloads[wi];
	long long x0, wb0;
	uint64_t t0;
	unsigned int i, n0 = res->nlat, n;

	lat = res->lat;
	nlat = &res->nlat;
	/* Warm-up: leaves the state of this workload, not of the last pass. */
	errors = 0;
	round_of(w, m, ++*r, *last);
	*last = *r;
	res->nlat = n0;	/* its times are not counted; its errors are */
	x0 = own("transfers");
	wb0 = own("writebacks");
	for (i = 0; i < ROUNDS; i++) {
		n = res->nlat;
		t0 = now_ns();
		round_of(w, m, ++*r, *last);
		res->round_mean[res->nround] = mean_of(res->lat + n, res->nlat - n);
		res->round_ns[res->nround++] = now_ns() - t0;
		*last = *r;
	}
	res->xfer += own("transfers") - x0;
	res->wb += own("writebacks") - wb0;
	res->errors += errors;
}

int main(void)
{
	volatile uint8_t *maps[NW];
	uint64_t r = 0, last[NW] = { 0 };
	volatile uint64_t *f;
	char accel[16] = "?";
	unsigned int wi, pi, rep;

	if (pool_open(&pc)) {
		fprintf(stderr, "policybench: cannot open the pool\n");
		return 1;
	}
	me = pc.info.host_id;
	if (me > 1)
		return 0;	/* two hosts take part; others idle */
	f = pc.ctl->flag;
	cmdline_str("maccel", accel, sizeof(accel));
	for (wi = 0; wi < NW; wi++) {
		int fd = open_object(&workloads[wi]);

		maps[wi] = mmap(NULL, workloads[wi].pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);
		if (maps[wi] == MAP_FAILED) {
			fprintf(stderr, "policybench: mmap: %s\n", strerror(errno));
			return fail();
		}
	}
	for (rep = 0; rep < REPS; rep++) {
		for (unsigned int j = 0; j < NP; j++) {
			pid_t loader;

			pi = (j + rep * 2) % NP;
			loader = attach(policies[pi]);
			if (loader < 0)
				return fail();
			sync_both();
			for (wi = 0; wi < NW; wi++)
				run_workload(wi, &results[wi][pi], maps[wi], &r, &last[wi]);
			if (detach(loader)) {
				fprintf(stderr, "policybench: detaching %s failed\n", policies[pi]);
				return fail();
			}
			sync_both();
		}
	}
	/* The interface's cost: default and lazy back to back, in turns. */
	for (rep = 0; rep < OVER_PASSES; rep++) {
		for (unsigned int j = 0; j < 2; j++) {
			unsigned int side = (j + rep) % 2;
			const char *name = side ? "lazy" : "default";
			pid_t loader = attach(name);

			if (loader < 0)
				return fail();
			sync_both();
			for (wi = 0; wi < NW; wi++) {
				struct result *res = &over[wi][side];
				unsigned int n0 = res->nlat;

				run_workload(wi, res, maps[wi], &r, &last[wi]);
				over_mean[wi][side][rep] = mean_of(res->lat + n0, res->nlat - n0);
			}
			if (detach(loader)) {
				fprintf(stderr, "policybench: detaching %s failed\n", name);
				return fail();
			}
			sync_both();
		}
	}

	if (me == 0) {
		printf("MORSEL-AB-BEGIN\n");
		printf("# platform %s, 2 hosts, %d vCPU(s) per host%s, %d passes x %d rounds\n",
		       accel, cmdline_int("mvcpus", 1),
		       cmdline_int("morsel.stale_cache", 0) ? ", stale-cache mode" : "",
		       REPS, ROUNDS);
		printf("# workload policy ops median_us p99_us mean_us round_median_ms transfers_per_op writebacks_per_op errors ci95_us\n");
	}
	for (wi = 0; wi < NW; wi++) {
		for (pi = 0; pi < NP; pi++) {
			struct result *res = &results[wi][pi];
			uint64_t ops = res->nlat, med, p99, avg, ci;

			avg = (uint64_t)mean_of(res->lat, res->nlat);
			ci = res->nround >= 2 ?
				     (uint64_t)interval_of(res->round_mean, res->nround).half : 0;
			med = pct(res->lat, res->nlat, 0.5);
			p99 = pct(res->lat, res->nlat, 0.99);
			if (me == 1) {
				f[F_MED] = med;
				f[F_P99] = p99;
				f[F_MEAN] = avg;
				f[F_OPS] = ops;
				f[F_XFER] = res->xfer;
				f[F_WB] = res->wb;
				f[F_ERR] = res->errors;
				f[F_CI] = ci;
			}
			sync_both();
			if (me == 0) {
				if (workloads[wi].measured_on == 1) {
					med = f[F_MED];
					p99 = f[F_P99];
					avg = f[F_MEAN];
					ops = f[F_OPS];
					ci = f[F_CI];
				}
				printf("AB %s %s %llu %.1f %.1f %.1f %.2f %.3f %.3f %llu %.1f\n",
				       workloads[wi].name, policies[pi], (unsigned long long)ops,
				       med / 1e3, p99 / 1e3, avg / 1e3,
				       pct(res->round_ns, res->nround, 0.5) / 1e6,
				       (double)(res->xfer + f[F_XFER]) / (ops ? ops : 1),
				       (double)(res->wb + f[F_WB]) / (ops ? ops : 1),
				       (unsigned long long)(res->errors + f[F_ERR]), ci / 1e3);
			}
			sync_both();
		}
	}
	if (me == 0)
		printf("# OVERHEAD workload pairs mean(lazy/default) ci95\n");
	for (wi = 0; wi < NW; wi++) {
		double ratio[OVER_PASSES];
		struct interval iv;

		for (rep = 0; rep < OVER_PASSES; rep++) {
			ratio[rep] = over_mean[wi][0][rep] > 0 ?
					     over_mean[wi][1][rep] / over_mean[wi][0][rep] : 0;
			if (me == 1)
				f[F_OVER + rep] = (uint64_t)(ratio[rep] * 1e9);
		}
		sync_both();
		if (me == 0 && workloads[wi].measured_on == 1)
			for (rep = 0; rep < OVER_PASSES; rep++)
				ratio[rep] = f[F_OVER + rep] / 1e9;
		iv = interval_of(ratio, OVER_PASSES);
		if (me == 0)
			printf("OVERHEAD %s %u %.4f %.4f\n", workloads[wi].name, OVER_PASSES, iv.mean,
			       iv.half);
		sync_both();
	}
	if (me == 0)
		printf("MORSEL-AB-END\n");
	fflush(stdout);
	for (wi = 0, errors = 0; wi < NW; wi++)
		for (pi = 0; pi < NP; pi++)
			errors += results[wi][pi].errors;
	for (wi = 0; wi < NW; wi++)
		errors += over[wi][0].errors + over[wi][1].errors;
	if (errors) {
		fprintf(stderr,
			"policybench: host %u: %llu wrong values read or failed msyncs\n",
			me, (unsigned long long)errors);
		return 1;
	}
	return 0;
}
