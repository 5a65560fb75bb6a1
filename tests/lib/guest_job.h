/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The start that the in-guest TAP jobs share: line-buffered output, the
 * TAP header, the pool opened, this host's prefix on every result line
 * ("host1 stale: "), and every host of the run (mhosts=) alive.
 */
#ifndef MORSEL_GUEST_JOB_H
#define MORSEL_GUEST_JOB_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "pool_client.h"
#include "tap.h"

/*
 * Returns this host's id, or -1 if the pool could not be opened (the TAP
 * stream says why; end the job with tap_end()). Sets *@nhosts.
 */
static inline int guest_job_start(struct pool_client *pc, unsigned int *nhosts)
{
	static char prefix[24];
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	*nhosts = (unsigned int)cmdline_int("mhosts", 1);
	tap_start("");
	err = pool_open(pc);
	if (!tap_step(!err, "open the pool (%s)", strerror(-err)))
		return -1;
	snprintf(prefix, sizeof(prefix), "host%u%s: ", pc->info.host_id,
		 cmdline_int("morsel.stale_cache", 0) ? " stale" : "");
	tap_prefix = prefix;
	tap_step(!pool_wait_alive(pc, (1u << *nhosts) - 1, 60000),
		 "all %u hosts alive", *nhosts);
	return (int)pc->info.host_id;
}

/* A barrier of @n hosts at index *@bar, then the next index: a set-up step. */
static inline void guest_barrier(struct pool_client *pc, unsigned int *bar, unsigned int n,
				 int timeout_ms)
{
	tap_step(!pool_barrier(pc, *bar, n, timeout_ms), "barrier %u: %u hosts", *bar, n);
	(*bar)++;
}

/* mount -t morselfs none /mnt/pool: 0, or -1 (the TAP stream says why). */
static inline int guest_mount_morselfs(void)
{
	char mode[16], opt[32] = "";

	/* mcoherence=pagecopy|twindiff|plain: the files are a baseline's. */
	if (!cmdline_str("mcoherence", mode, sizeof(mode)))
		snprintf(opt, sizeof(opt), "coherence=%s", mode);
	mkdir("/mnt", 0755);
	mkdir("/mnt/pool", 0755);
	return tap_step(!mount("none", "/mnt/pool", "morselfs", 0, opt[0] ? opt : NULL),
			"mount -t morselfs%s%s none /mnt/pool (%s)", opt[0] ? " -o " : "", opt,
			strerror(errno)) ? 0 : -1;
}

#endif
