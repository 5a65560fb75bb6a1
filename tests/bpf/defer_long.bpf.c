// SPDX-License-Identifier: GPL-2.0
/* Test fixture: answers every recall 280 ms late, within the 300 ms bound. */
#include "morsel_policy.bpf.h"

u64 MORSEL_HOOK(recall, struct morsel_policy_ctx *c)
{
	return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, 280 * 1000);
}

MORSEL_POLICY(defer_long_ops) = {
	.recall = (void *)recall,
	.name = "defer_long",
};
