// SPDX-License-Identifier: GPL-2.0
/* Test fixture: a policy without a link (.struct_ops); must be refused. */
#include "morsel_policy.bpf.h"

u32 MORSEL_HOOK(sync, struct morsel_policy_ctx *c)
{
	return MORSEL_SYNC_RELEASE;
}

SEC(".struct_ops") struct morsel_ops legacy_ops = {
	.sync = (void *)sync,
	.name = "legacy",
};
