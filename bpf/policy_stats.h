/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU statistics every policy keeps (map "stats"), shared by the
 * BPF side and the loader, which sums and prints them once a second.
 */
#ifndef MORSEL_POLICY_STATS_H
#define MORSEL_POLICY_STATS_H

enum policy_stat {
	STAT_READ_FAULT,	/* read_fault asked */
	STAT_WRITE_FAULT,	/* write_fault asked */
	STAT_RECALL,		/* recall asked */
	STAT_SYNC,		/* sync asked (msync/fsync) */
	STAT_TICK,		/* tick asked */
	STAT_GIVEN,		/* a policy-specific "yes": exclusive read, run
				 * granted, recall deferred, page released */
	STAT_NR,
};

#define POLICY_STAT_NAMES \
	{ "read_fault", "write_fault", "recall", "sync", "tick", "given" }

#endif
