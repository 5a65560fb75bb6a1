/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU statistics of the policies (map "stats"), shared by the BPF
 * side and the loader, which sums and prints them once a second. Each
 * counts only what its policy decided of its own; how often each hook was
 * asked the kernel counts (/sys/kernel/morsel/policy/decisions_*).
 */
#ifndef MORSEL_POLICY_STATS_H
#define MORSEL_POLICY_STATS_H

enum policy_stat {
	STAT_PAGES_RELEASED,	/* eager: owned pages released at a sync point */
	STAT_EXCLUSIVE_READS,	/* hold: first touches taken exclusively */
	STAT_RECALLS_HELD,	/* hold: recalls answered HOLD_US late */
	STAT_RUNS_GRANTED,	/* seqgrant: sequential runs granted */
	STAT_COPIES_DROPPED,	/* selfinval: read copies dropped at a tick */
	STAT_BLOCKS_KEPT,	/* hold: reader recalls that took 64 KiB, not 2 MiB */
	STAT_TABLES_KEPT,	/* hold: own tables kept of a 2 MiB given back */
	STAT_NR,
};

#define POLICY_STAT_NAMES						\
	{ "pages_released", "exclusive_reads", "recalls_held",		\
	  "runs_granted", "copies_dropped", "blocks_kept", "tables_kept" }

#endif
