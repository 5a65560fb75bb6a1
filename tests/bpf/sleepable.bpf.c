// SPDX-License-Identifier: GPL-2.0
/* Test fixture: a sleepable program on an atomic hook; must not load. */
#include "morsel_policy.bpf.h"

SEC("struct_ops.s/recall")
u64 BPF_PROG(recall, struct morsel_policy_ctx *c)
{
	return 0;
}

MORSEL_POLICY(sleepable_ops) = {
	.recall = (void *)recall,
	.name = "sleepable",
};
