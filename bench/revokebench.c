// SPDX-License-Identifier: GPL-2.0
/*
 * Revoking readers: every host but host 0 reads the pages of an object;
 * host 0 then writes each page once and times the store, which takes a
 * write fault that must revoke all N-1 readers before the page is mapped
 * writable. The recalls go out split-phase (all posted, then all awaited)
 * or, as the ablation morsel.serial_recalls=1, one at a time; rounds of the
 * two alternate in one run so that the ratio compares like with like.
 *
 * Run on 3 or more hosts: scripts/hosts.sh -n 4 revokebench.
 *
 * Every reader checks the value host 0 wrote in the round before; a wrong
 * value, a failed call or a barrier timeout ends the bench with status 1.
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
#define PAGES 40
#define ROUNDS 10	/* alternating: 5 split-phase, 5 serial */
#define B0 30	/* barriers used here: 30.. */
#define SERIAL "/sys/module/morsel/parameters/serial_recalls"

static struct pool_client pc;
static unsigned int me, hosts;

static double pct(uint64_t *v, unsigned int n, double p)
{
	return percentile(v, n, p) / 1000.0;
}

/* Give up, and make the other hosts' barriers give up too. */
static int fail(void)
{
	pool_abort(&pc);
	return 1;
}

static void sync_all(unsigned int i)
{
	int err = pool_barrier(&pc, B0 + i, hosts, 600000);

	if (err) {
		fprintf(stderr, "revokebench: host %u: barrier %u: %s\n", me, i,
			err == -ECANCELED ? "another host failed" :
					    "timed out");
		exit(fail());
	}
}

static int set_serial(int on)
{
	FILE *f = fopen(SERIAL, "w");
	int ok = f && fprintf(f, "%d\n", on) > 0;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

int main(void)
{
	static uint64_t lat[2][ROUNDS / 2 * PAGES];
	unsigned int n[2] = { 0, 0 }, r, i;
	struct morsel_create c = { .name = "revoke", .size = PAGES * PAGE };
	struct morsel_open o = { .name = "revoke" };
	long long sent0 = 0;
	char accel[16] = "?";
	volatile unsigned char *m;
	double med[2], p99[2];
	int fd = -1;

	if (pool_open(&pc)) {
		fprintf(stderr, "revokebench: cannot open the pool\n");
		return fail();
	}
	me = pc.info.host_id;
	hosts = (unsigned int)cmdline_int("mhosts", 2);
	cmdline_accel(accel, sizeof(accel));
	if (hosts < 3) {
		fprintf(stderr, "revokebench: needs 3 or more hosts (got %u)\n", hosts);
		return fail();
	}
	if (me == 0) {
		fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
		if (fd < 0) {
			fprintf(stderr, "revokebench: create: %s\n",
				strerror(errno));
			return fail();
		}
		if (set_serial(0)) {
			fprintf(stderr, "revokebench: %s: %s\n", SERIAL, strerror(errno));
			return fail();
		}
	}
	sync_all(0);
	if (me != 0)
		fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
	m = fd >= 0 ? mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
		    : MAP_FAILED;
	if (m == MAP_FAILED) {
		fprintf(stderr, "revokebench: object: %s\n", strerror(errno));
		return fail();
	}
	if (me == 0)
		for (i = 0; i < PAGES; i++)
			m[i * PAGE] = 1;
	sync_all(1);
	if (me == 0)
		sent0 = chan_stat("sent");
	for (r = 0; r < ROUNDS; r++) {
		unsigned int serial = r % 2, bad = 0;

		/* Become a reader of what host 0 wrote last round (1 at first). */
		if (me != 0)
			for (i = 0; i < PAGES; i++)
				bad += m[i * PAGE] != (unsigned char)(r + 1);
		if (bad) {
			fprintf(stderr,
				"revokebench: host %u: round %u: %u of %u pages read back wrong\n",
				me, r, bad, PAGES);
			return fail();
		}
		if (me == 0 && set_serial((int)serial)) {
			fprintf(stderr, "revokebench: %s: %s\n", SERIAL,
				strerror(errno));
			return fail();
		}
		sync_all(2 + 2 * r);
		if (me == 0) {
			for (i = 0; i < PAGES; i++) {
				uint64_t t0 = now_ns();

				m[i * PAGE] = (unsigned char)(r + 2);
				lat[serial][n[serial]++] = now_ns() - t0;
			}
		}
		sync_all(3 + 2 * r);
	}
	if (me != 0)
		return 0;
	if (set_serial(0)) {
		fprintf(stderr, "revokebench: %s: %s\n", SERIAL,
			strerror(errno));
		return fail();
	}
	sent0 = chan_stat("sent") - sent0;
	for (i = 0; i < 2; i++) {
		med[i] = pct(lat[i], n[i], 0.5);
		p99[i] = pct(lat[i], n[i], 0.99);
	}
	printf("MORSEL-RESULT-BEGIN\n");
	printf("revoking %u readers per write, host 0 writes, accelerator %s, %u hosts, %d vCPU(s) per host\n",
	       hosts - 1, accel, hosts, cmdline_int("mvcpus", 1));
	printf("%-44s %12s %12s\n", "recalls of one write fault", "median (us)", "p99 (us)");
	printf("%-44s %12.1f %12.1f\n", "split-phase (all sent, then awaited)", med[0], p99[0]);
	printf("%-44s %12.1f %12.1f\n", "serial (morsel.serial_recalls=1)", med[1], p99[1]);
	printf("%-44s %11.2fx\n", "  serial / split-phase", med[1] / med[0]);
	printf("%u writes per mode in %u interleaved rounds; %.2f messages sent per write\n",
	       n[0], ROUNDS, (double)sent0 / (n[0] + n[1]));
	printf("MORSEL-RESULT-END\n");
	return 0;
}
