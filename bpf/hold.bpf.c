// SPDX-License-Identifier: GPL-2.0
/*
 * hold: keep a page exclusive while this host keeps writing. When a recall
 * arrives and this host took write faults on the object since the last
 * recall it answered, answer HOLD_US later: the writer finishes its burst
 * instead of losing the page in the middle of it and faulting it back.
 * Costs the requester up to HOLD_US per recall; the kernel bounds it.
 * In the same spirit, the first host to touch a page takes it exclusively
 * even on a read: a page nobody has is usually about to be initialised;
 * a reader's recall in the middle of a burst takes only the 64 KiB around
 * the page asked for, not the whole 2 MiB the writer is working in; and a
 * host that wrote a 2 MiB keeps its own table of it when it has given
 * every page back (it is likely to write there again).
 */
#include "morsel_policy.bpf.h"

#define HOLD_US 2000
#define HOT_BLOCK 16	/* pages a reader's recall takes in a burst: 64 KiB */

/* object index -> write faults seen at the last recall */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

/* object index -> 1 if the last recall came in the middle of a burst */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u32);
} hot_obj SEC(".maps");

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
	u32 hot;

	last = bpf_map_lookup_elem(&seen, &obj);
	hot = last && *last != now;
	bpf_map_update_elem(&seen, &obj, &now, BPF_ANY);
	bpf_map_update_elem(&hot_obj, &obj, &hot, BPF_ANY);
	if (!hot)
		return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, 0);
	stat_inc(STAT_RECALLS_HELD);
	return MORSEL_RECALL_ANSWER(MORSEL_RECALL_AS_ASKED, HOLD_US);
}

/* Asked after the recall hook, for the same recall. */
u32 MORSEL_HOOK(recall_block, struct morsel_policy_ctx *c)
{
	u32 obj = c->obj, *hot = bpf_map_lookup_elem(&hot_obj, &obj);

	if (!hot || !*hot)
		return 0;	/* the whole 2 MiB */
	stat_inc(STAT_BLOCKS_KEPT);
	return HOT_BLOCK;
}

u32 MORSEL_HOOK(relink, struct morsel_policy_ctx *c)
{
	stat_inc(STAT_TABLES_KEPT);
	return MORSEL_RELINK_KEEP;
}

MORSEL_POLICY(hold_ops) = {
	.read_fault = (void *)read_fault,
	.recall = (void *)recall,
	.recall_block = (void *)recall_block,
	.relink = (void *)relink,
	.name = "hold",
};
