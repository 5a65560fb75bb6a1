// SPDX-License-Identifier: GPL-2.0
/* Test fixture: answers a read fault with a decision that does not exist. */
#include "morsel_policy.bpf.h"

u32 MORSEL_HOOK(read_fault, struct morsel_policy_ctx *c)
{
	return 7;
}

MORSEL_POLICY(broken_answer_ops) = {
	.read_fault = (void *)read_fault,
	.name = "broken_answer",
};
