// SPDX-License-Identifier: GPL-2.0
/*
 * lazy: a sync point changes nothing; a page is written back only when
 * another host recalls it. A writer keeps writing without faults or
 * write-backs until someone reads; the reader pays a recall round trip.
 * (The built-in default behaves the same; as a BPF policy its answers
 * are counted and traced as every policy's are, for the A/B.)
 */
#include "morsel_policy.bpf.h"

u32 MORSEL_HOOK(sync, struct morsel_policy_ctx *c)
{
	return MORSEL_SYNC_KEEP;
}

u64 MORSEL_HOOK(recall, struct morsel_policy_ctx *c)
{
	return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, 0);
}

MORSEL_POLICY(lazy_ops) = {
	.sync = (void *)sync,
	.recall = (void *)recall,
	.name = "lazy",
};
