// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbell round trip vs polled-mailbox round trip between host 0 and
 * host 1, measured in the same run. Host 0 measures and prints the table;
 * the other hosts answer. Numbers are medians and p99 over the samples,
 * with the accelerator (TCG/KVM) and the host count beside them.
 *
 * Exits 1 on a failed or short ping (the kernel checks every answer) and on
 * a barrier timeout, on every host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "percentile.h"
#include "pool_client.h"

static double pct(uint64_t *v, unsigned int n, double p)
{
	return percentile(v, n, p) / 1000.0;
}

static int measure(struct pool_client *pc, const char *name, unsigned int flags,
		   unsigned int n, double *p50, double *p99)
{
	uint64_t *rtt = calloc(n, sizeof(*rtt));
	unsigned int done = 0;
	int err;

	if (!rtt)
		return -ENOMEM;
	/* Warm up: caches, TLBs, the receiver's thread. */
	err = pool_ping(pc, 1, 200, flags, 2000, NULL, &done);
	if (err || done != 200) {
		fprintf(stderr, "pingbench: %s warm-up: %u of 200: %s\n", name,
			done, strerror(-err));
		free(rtt);
		return err ? err : -EIO;
	}
	err = pool_ping(pc, 1, n, flags, 2000, rtt, &done);
	if (err || done != n) {
		fprintf(stderr, "pingbench: %s: %u of %u: %s\n", name, done, n,
			strerror(-err));
		free(rtt);
		return err ? err : -EIO;
	}
	*p50 = pct(rtt, n, 0.50);
	*p99 = pct(rtt, n, 0.99);
	free(rtt);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 2000;
	unsigned int hosts = (unsigned int)cmdline_int("mhosts", 2);
	double db50, db99, po50, po99;
	struct pool_client pc;
	char accel[16] = "?";
	int err;

	cmdline_accel(accel, sizeof(accel));
	err = pool_open(&pc);
	if (err) {
		fprintf(stderr, "pingbench: cannot open the pool: %s\n", strerror(-err));
		return 1;
	}
	if (pool_wait_alive(&pc, (1u << hosts) - 1, 60000)) {
		fprintf(stderr, "pingbench: not all %u hosts came up\n", hosts);
		return 1;
	}
	/* The other hosts answer until host 0 is done. */
	if (pc.info.host_id == 0)
		err = measure(&pc, "doorbell", 0, n, &db50, &db99) ||
		      measure(&pc, "polled", MORSEL_PING_POLL, n, &po50, &po99);
	if (err) {
		pool_abort(&pc); /* the others' barrier gives up */
		return 1;
	}
	err = pool_barrier(&pc, 0, hosts, 600000);
	if (err) {
		fprintf(stderr, "pingbench: host %u: barrier of %u hosts: %s\n",
			pc.info.host_id, hosts,
			err == -ECANCELED ? "host 0 failed" : "timed out");
		return 1;
	}
	if (pc.info.host_id != 0)
		return 0;
	printf("MORSEL-RESULT-BEGIN\n");
	printf("round trip host 0 -> host 1, %u samples each, accelerator %s, %u hosts, %d vCPU(s) per host\n",
	       n, accel, hosts, cmdline_int("mvcpus", 1));
	printf("%-28s %12s %12s\n", "mechanism", "median (us)", "p99 (us)");
	printf("%-28s %12.1f %12.1f\n", "doorbell (MSI-X) + mailbox", db50, db99);
	printf("%-28s %12.1f %12.1f\n", "polled mailbox", po50, po99);
	printf("%-28s %12.1fx\n", "doorbell / polled (median)", db50 / po50);
	printf("MORSEL-RESULT-END\n");
	return 0;
}
