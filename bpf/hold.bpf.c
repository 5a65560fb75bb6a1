// SPDX-License-Identifier: GPL-2.0
/*
 * hold: keep a page exclusive while this host keeps writing. When a recall
 * arrives and this host took write faults on the object since the last
 * recall it answered, answer HOLD_US later: the writer finishes its burst
 * instead of losing the page in the middle of it and faulting it back.
 * Costs the requester up to HOLD_US per recall; the kernel bounds it.
 * In the same spirit, the first host to touch a page takes it exclusively
 * even on a read: a page nobody has is usually about to be initialised.
 */
#include "morsel_policy.bpf.h"

#define HOLD_US 2000

/* object index -> write faults seen at the last recall */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

u32 MORSEL_HOOK(read_fault, struct morsel_policy_ctx *c)
{
	if (MORSEL_PTE_STATE(c->entry) != MORSEL_PTE_NONE)
		return MORSEL_READ_SHARE;
	stat_inc(STAT_EXCLUSIVE_READS);
	return MORSEL_READ_EXCLUSIVE;
}

u64 MORSEL_HOOK(recall, struct morsel_policy_ctx *c)
{
	u32 obj = c->obj;
	u64 now = bpf_morsel_obj_counter(obj, MORSEL_CNT_WRITE_FAULTS), *last;
	bool hot;

	last = bpf_map_lookup_elem(&seen, &obj);
	hot = last && *last != now;
	bpf_map_update_elem(&seen, &obj, &now, BPF_ANY);
	if (!hot)
		return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, 0);
	stat_inc(STAT_RECALLS_HELD);
	return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, HOLD_US);
}

MORSEL_POLICY(hold_ops) = {
	.read_fault = (void *)read_fault,
	.recall = (void *)recall,
	.name = "hold",
};
