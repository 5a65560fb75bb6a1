/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every morsel policy includes: the kernel's types (vmlinux.h, with
 * struct morsel_ops, the answer enums and the interface's limits as enum
 * morsel_policy_consts, all of mm/morsel/policy.h), the page
 * entry encoding, the kfuncs, and the "stats" map the loader prints.
 */
#ifndef MORSEL_POLICY_BPF_H
#define MORSEL_POLICY_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/morsel_pte.h>
#include "policy_stats.h"

/* pahole 1.24 emits no kfunc prototypes into vmlinux.h: declare them. */
extern u64 bpf_morsel_entry(u32 obj, u64 page) __ksym;
extern u64 bpf_morsel_obj_counter(u32 obj, u32 counter) __ksym;

/* A policy: its ops, attachable only through a link (the kernel refuses the rest). */
#define MORSEL_POLICY(var) SEC(".struct_ops.link") struct morsel_ops var
#define MORSEL_HOOK(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)

/* The recall answer: what to do, and how long to wait first. */
#define MORSEL_RECALL_ANSWER(decision, defer_us) \
	((u64)(decision) | (u64)(defer_us) << MORSEL_RECALL_DEFER_SHIFT)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_NR);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

static __always_inline void stat_inc(u32 which)
{
	u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		(*v)++;
}

static __always_inline bool entry_owned_by(u64 e, u32 host)
{
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE && MORSEL_PTE_OWNER(e) == host;
}

char _license[] SEC("license") = "GPL";

#endif
