// SPDX-License-Identifier: GPL-2.0
/*
 * selfinval: reader self-invalidation, after Tigon. A host drops its read
 * copy of every shared page at each tick instead of waiting to be told:
 * a writer then finds the page shared by nobody and takes it without
 * revoking readers (no recall messages on the write path). Readers that
 * keep reading pay a local re-fault per tick. Coherence does not depend
 * on it: a writer still revokes every reader it finds in the entry.
 */
#include "morsel_policy.bpf.h"

u32 MORSEL_HOOK(tick, struct morsel_policy_ctx *c)
{
	if (MORSEL_PTE_STATE(c->entry) != MORSEL_PTE_SHARED)
		return MORSEL_SYNC_KEEP;	/* pages it owns stay lazy */
	stat_inc(STAT_COPIES_DROPPED);
	return MORSEL_SYNC_RELEASE;
}

MORSEL_POLICY(selfinval_ops) = {
	.tick = (void *)tick,
	.tick_ms = 20,
	.name = "selfinval",
};
