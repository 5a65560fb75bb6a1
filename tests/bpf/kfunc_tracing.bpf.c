// SPDX-License-Identifier: GPL-2.0
/* Test fixture: a tracing program may not call the policy kfuncs. */
#include "morsel_policy.bpf.h"

SEC("tp_btf/morsel_policy")
int BPF_PROG(peek, unsigned int hook, unsigned int obj, u64 page)
{
	return bpf_morsel_entry(obj, page) ? 1 : 0;
}
