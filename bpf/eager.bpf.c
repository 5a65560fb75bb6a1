// SPDX-License-Identifier: GPL-2.0
/*
 * eager: at every sync point (msync/fsync) write back each page this
 * host owns and give up exclusivity, keeping a read copy. Readers then
 * find the page shared and up to date in the pool: their read faults are
 * granted without asking this host. Costs a write-back and a fault per
 * page at every sync, even when nobody reads.
 */
#include "morsel_policy.bpf.h"

u32 MORSEL_HOOK(sync, struct morsel_policy_ctx *c)
{
	stat_inc(STAT_PAGES_RELEASED);
	return MORSEL_SYNC_RELEASE;
}

MORSEL_POLICY(eager_ops) = {
	.sync = (void *)sync,
	.name = "eager",
};
