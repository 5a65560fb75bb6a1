// SPDX-License-Identifier: GPL-2.0
/* Test fixture: would answer every recall ten seconds late. */
#include "morsel_policy.bpf.h"

u64 MORSEL_HOOK(recall, struct morsel_policy_ctx *c)
{
	return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, 10 * 1000 * 1000);
}

MORSEL_POLICY(defer_forever_ops) = {
	.recall = (void *)recall,
	.name = "defer_forever",
};
