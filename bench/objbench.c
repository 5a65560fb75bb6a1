// SPDX-License-Identifier: GPL-2.0
/*
 * First numbers for shared objects, between host 0 and host 1, all in one
 * run so that the ratios compare like with like:
 *
 *  - ownership transfer: host 1 owns every page of an object exclusively;
 *    host 0 writes each page once and times the store, which takes a write
 *    fault, a recall (host 1 unmaps, writes back, releases) and the mapping;
 *    beside it the bare doorbell round trip between the same two hosts;
 *  - read-shared steady state: both hosts have read the object; host 0
 *    scans it, beside the same scan over plain pool memory (the scratch
 *    area, mapped without any protocol);
 *  - counts per transfer from the kernel's counters on both hosts;
 *  - false sharing: hosts 0 and 1 store to their own word of one page for
 *    a second, with the minimum hold off (morsel.min_hold_us=0) and at its
 *    default, in the same run: stores each host got done, page transfers,
 *    recalls the hold parked.
 *
 * A smoke run must still fail on a broken result: a barrier timeout, a
 * failed call or a wrong value read back (host 1 reads every transferred
 * page, every host checks its scan's sum) ends the bench with status 1.
 *
 * Host 0 prints the table; the accelerator and host count are beside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "percentile.h"
#include "pool_client.h"

#define PAGE 4096ul
#define XFER_PAGES 400
#define SCANS 30
#define B0 20	/* barriers used here: 20.. (pingbench uses 0) */
#define CONTEND_NS 1000000000ull
#define MIN_HOLD "/sys/module/morsel/parameters/min_hold_us"

static struct pool_client pc;
static unsigned int me, hosts;

static double pct(uint64_t *v, unsigned int n, double p)
{
	return percentile(v, n, p) / 1000.0;
}

/* Give up, and make the other hosts' barriers give up too. */
#define fail(...) pool_fail(&pc, "objbench", me, __VA_ARGS__)

static void sync_all(unsigned int i)
{
	int err = pool_barrier(&pc, B0 + i, hosts, 600000);

	if (err)
		fail("barrier %u of %u hosts: %s", B0 + i, hosts,
		     err == -ECANCELED ? "another host failed" : "timed out");
}

static int open_obj(const char *name, uint64_t size, unsigned int barrier)
{
	struct morsel_create c = { .size = size };
	struct morsel_open o = { 0 };
	int fd = -1;

	strncpy(c.name, name, sizeof(c.name) - 1);
	strncpy(o.name, name, sizeof(o.name) - 1);
	if (me == 0)
		fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
	sync_all(barrier);
	if (me != 0)
		fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
	if (fd < 0)
		fail("%s object '%s': %s", me == 0 ? "create" : "open", name,
		     strerror(errno));
	return fd;
}

static long long own(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/morsel/ownership/%s", name);
	return sysfs_num(path);
}

static uint64_t scan(const volatile uint64_t *p, size_t bytes)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		sum += p[i];
	return sum;
}

/* What host 0 writes into the scan object, and the sum every scan must see. */
#define SCAN_STRIDE 512
static uint64_t scan_sum(size_t bytes)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < bytes / 8; i += SCAN_STRIDE)
		sum += i;
	return sum;
}

/* The hold settings compared, and what each run counted (host 0's view). */
static const char *const holds[] = { "0", "100" };
struct contention {
	uint64_t stores[2];	/* host 0's, host 1's */
	long long transfers, held;	/* both hosts' */
};

/*
 * Hosts 0 and 1 store to their own word of one page (host h: word h) as
 * fast as they can for CONTEND_NS: every store of one after the other's
 * takes the page from it. Host 1 reports through the control page.
 */
static void contend(int fd, volatile uint64_t *w, volatile uint64_t *ctl,
		    unsigned int k, struct contention *c)
{
	struct morsel_obj_stat a = {}, b = {};
	uint64_t n = 0, t0;
	long long t;

	if (me <= 1 && sysfs_write(MIN_HOLD, holds[k]))
		fail("cannot set %s", MIN_HOLD);
	ioctl(fd, MORSEL_OBJ_STAT, &a);
	t = own("transfers");
	sync_all(8 + 2 * k);
	if (me <= 1) {
		t0 = now_ns();
		while (now_ns() - t0 < CONTEND_NS)
			w[me] = ++n;
	}
	ioctl(fd, MORSEL_OBJ_STAT, &b);
	if (me == 1) {
		ctl[42 + k] = n;
		ctl[44 + k] = (uint64_t)(own("transfers") - t);
		ctl[46 + k] = b.held - a.held;
	}
	sync_all(9 + 2 * k);
	if (me == 0) {
		c->stores[0] = n;
		c->stores[1] = ctl[42 + k];
		if (w[1] != c->stores[1] || w[0] != n)
			fail("false sharing: words read %llu %llu, stored %llu %llu",
			     (unsigned long long)w[0], (unsigned long long)w[1],
			     (unsigned long long)n, (unsigned long long)c->stores[1]);
		c->transfers = own("transfers") - t + (long long)ctl[44 + k];
		c->held = (long long)(b.held - a.held + ctl[46 + k]);
	}
}

int main(void)
{
	static uint64_t lat[XFER_PAGES], rtt[1000], tobj[SCANS], traw[SCANS];
	struct contention con[2] = {};
	volatile uint64_t *ctl;
	unsigned char *x;
	const size_t scan_bytes = 1ul << 20;
	long long sent0 = 0, sd0 = 0, wb1 = 0, sd1 = 0;
	double rtt50, x50, x99, obj50, raw50;
	char accel[16] = "?";
	volatile uint64_t *s;
	unsigned int i, done, bad;
	uint64_t sum;
	int fx, fs, fc, err;
	volatile uint64_t *c;

	err = pool_open(&pc);
	if (err) {
		fprintf(stderr, "objbench: cannot open the pool: %s\n",
			strerror(-err));
		return 1;
	}
	me = pc.info.host_id;
	hosts = (unsigned int)cmdline_int("mhosts", 2);
	cmdline_accel(accel, sizeof(accel));
	ctl = pc.ctl->flag;

	/* Transfers: host 1 owns every page, host 0 takes them one by one. */
	fx = open_obj("xfer", XFER_PAGES * PAGE, 0);
	x = mmap(NULL, XFER_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fx, 0);
	if (x == MAP_FAILED)
		fail("mmap of 'xfer': %s", strerror(errno));
	if (me == 1)
		for (i = 0; i < XFER_PAGES; i++)
			x[i * PAGE] = 1;
	sync_all(2);
	if (me == 1) {
		wb1 = own("writebacks");
		sd1 = own("shootdowns");
	}
	if (me == 0) {
		err = pool_ping(&pc, 1, 1000, 0, 2000, rtt, &done);
		if (err || done != 1000)
			fail("ping: %u of 1000 round trips (%s)", done,
			     strerror(-err));
		sent0 = chan_stat("sent");
		sd0 = own("shootdowns");
		for (i = 0; i < XFER_PAGES; i++) {
			uint64_t t0 = now_ns();

			x[i * PAGE] = 2;
			lat[i] = now_ns() - t0;
		}
		sent0 = chan_stat("sent") - sent0;
		sd0 = own("shootdowns") - sd0;
	}
	sync_all(3);
	if (me == 1) {
		ctl[40] = (uint64_t)(own("writebacks") - wb1);
		ctl[41] = (uint64_t)(own("shootdowns") - sd1);
		/* Read back what host 0 wrote (recalls that downgrade, untimed). */
		for (i = 0, bad = 0; i < XFER_PAGES; i++)
			bad += x[i * PAGE] != 2;
		if (bad)
			fail("%u of %u transferred pages read back wrong", bad,
			     XFER_PAGES);
	}
	sync_all(4);

	/* Read-shared steady state vs plain pool memory. */
	fs = open_obj("scan", scan_bytes, 1);
	s = mmap(NULL, scan_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fs, 0);
	if (s == MAP_FAILED)
		fail("mmap of 'scan': %s", strerror(errno));
	if (me == 0)
		for (i = 0; i < scan_bytes / 8; i += SCAN_STRIDE)
			s[i] = i;
	sync_all(5);
	/* Every host maps every page read-only, and reads what host 0 wrote. */
	sum = scan(s, scan_bytes);
	if (sum != scan_sum(scan_bytes))
		fail("scan of 'scan' read sum %llu, expected %llu",
		     (unsigned long long)sum,
		     (unsigned long long)scan_sum(scan_bytes));
	sync_all(6);
	if (me == 0) {
		for (i = 0; i < SCANS; i++) {
			uint64_t t0 = now_ns();

			sum = scan(s, scan_bytes);
			tobj[i] = now_ns() - t0;
			if (sum != scan_sum(scan_bytes))
				fail("timed scan %u read sum %llu", i,
				     (unsigned long long)sum);
			t0 = now_ns();
			scan((volatile uint64_t *)pc.ctl, scan_bytes);
			traw[i] = now_ns() - t0;
		}
	}
	sync_all(7);

	/* False sharing, without and with the minimum hold. */
	fc = open_obj("contend", PAGE, 12);
	c = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fc, 0);
	if (c == MAP_FAILED)
		fail("mmap of 'contend': %s", strerror(errno));
	for (i = 0; i < 2; i++)
		contend(fc, c, ctl, i, &con[i]);
	if (me <= 1)
		sysfs_write(MIN_HOLD, "100");
	if (me != 0)
		return 0;

	rtt50 = pct(rtt, 1000, 0.5);
	x50 = pct(lat, XFER_PAGES, 0.5);
	x99 = pct(lat, XFER_PAGES, 0.99);
	obj50 = pct(tobj, SCANS, 0.5);
	raw50 = pct(traw, SCANS, 0.5);
	printf("MORSEL-RESULT-BEGIN\n");
	printf("shared objects, host 0 <-> host 1, accelerator %s, %u hosts, %d vCPU(s) per host%s\n",
	       accel, hosts, cmdline_int("mvcpus", 1),
	       cmdline_int("morsel.stale_cache", 0) ? ", stale-cache mode" : "");
	printf("%-44s %12s %12s\n", "measurement", "median (us)", "p99 (us)");
	printf("%-44s %12.1f %12s\n", "doorbell round trip (1000 samples)", rtt50, "");
	printf("%-44s %12.1f %12.1f\n", "ownership transfer: write to a remote page", x50, x99);
	printf("%-44s %11.1fx\n", "  transfer / doorbell round trip", x50 / rtt50);
	printf("%-44s %12.1f\n", "scan 1 MiB read-shared object", obj50);
	printf("%-44s %12.1f\n", "scan 1 MiB plain pool memory", raw50);
	printf("%-44s %11.2fx\n", "  read-shared / plain", obj50 / raw50);
	printf("per transfer (%u transfers): %.2f messages sent, %.2f write-backs and %.2f shootdowns on the owner, %.2f shootdowns on the taker\n",
	       XFER_PAGES, (double)sent0 / XFER_PAGES, (double)ctl[40] / XFER_PAGES,
	       (double)ctl[41] / XFER_PAGES, (double)sd0 / XFER_PAGES);
	printf("false sharing, one page, %llu ms (stores: host 0 + host 1):\n",
	       CONTEND_NS / 1000000);
	for (i = 0; i < 2; i++)
		printf("  min_hold_us=%-4s %9llu + %-9llu stores, %6lld transfers, %5.1f stores/transfer, %lld recalls held\n",
		       holds[i], (unsigned long long)con[i].stores[0],
		       (unsigned long long)con[i].stores[1], con[i].transfers,
		       (double)(con[i].stores[0] + con[i].stores[1]) /
			       (double)(con[i].transfers ? con[i].transfers : 1),
		       con[i].held);
	printf("MORSEL-RESULT-END\n");
	return 0;
}
