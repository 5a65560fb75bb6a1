// SPDX-License-Identifier: GPL-2.0
/*
 * seqgrant: a writer that faults on the page right after the last one it
 * faulted on (or was granted) is writing sequentially: grant it the next
 * RUN pages with this fault, as readahead does for reads. A random writer
 * gets single pages. Fewer faults for the sequential writer; a wrong guess
 * takes pages from other hosts that nobody here will write.
 */
#include "morsel_policy.bpf.h"

#define RUN 8

/* object index -> the page after the last one this host took */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} next_page SEC(".maps");

u32 MORSEL_HOOK(write_fault, struct morsel_policy_ctx *c)
{
	u32 obj = c->obj;
	u64 page = c->page, *next, after;
	u32 grant = 0;

	next = bpf_map_lookup_elem(&next_page, &obj);
	/* Do not take a run from under another host's writer. */
	if (next && *next == page &&
	    !(MORSEL_PTE_STATE(bpf_morsel_entry(obj, page + 1)) == MORSEL_PTE_EXCLUSIVE &&
	      !entry_owned_by(bpf_morsel_entry(obj, page + 1), c->host))) {
		grant = RUN;
		stat_inc(STAT_RUNS_GRANTED);
	}
	/* The kernel clamps the grant to the object; so may we overshoot. */
	after = page + 1 + grant;
	bpf_map_update_elem(&next_page, &obj, &after, BPF_ANY);
	return grant;
}

MORSEL_POLICY(seqgrant_ops) = {
	.write_fault = (void *)write_fault,
	.name = "seqgrant",
};
