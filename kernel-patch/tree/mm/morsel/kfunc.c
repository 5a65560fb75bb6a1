// SPDX-License-Identifier: GPL-2.0-only
/*
 * kfuncs that ownership policies (struct morsel_ops programs, policy.c)
 * may call: what they need to know beyond the question they are asked.
 *
 *   bpf_morsel_entry(obj, page)          a page's authoritative entry
 *   bpf_morsel_obj_counter(obj, counter) a counter of this host's overlay
 *
 * Both read this host's overlay of the object without locks (RCU), so a
 * policy may call them from any hook. The kfunc hook is shared by all
 * struct_ops programs: the filter keeps these to morsel policies.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include "overlay.h"

__bpf_kfunc_start_defs();

/**
 * bpf_morsel_entry() - the authoritative entry of a page.
 * @obj: directory index.
 * @page: page index.
 *
 * Return: the entry (MORSEL_PTE_* layout), or 0 if this host does not
 * have the object open or there is no such page.
 */
__bpf_kfunc u64 bpf_morsel_entry(u32 obj, u64 page)
{
	return morsel_overlay_entry(obj, page);
}

/**
 * bpf_morsel_obj_counter() - a counter of this host's overlay of an object.
 * @obj: directory index.
 * @counter: enum morsel_obj_counter.
 *
 * Return: the counter, or 0 if the object is not open on this host.
 */
__bpf_kfunc u64 bpf_morsel_obj_counter(u32 obj, u32 counter)
{
	return morsel_overlay_counter(obj, counter);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(morsel_kfunc_ids)
BTF_ID_FLAGS(func, bpf_morsel_entry)
BTF_ID_FLAGS(func, bpf_morsel_obj_counter)
BTF_KFUNCS_END(morsel_kfunc_ids)

static int morsel_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&morsel_kfunc_ids, kfunc_id))
		return 0;
	return morsel_policy_prog(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set morsel_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &morsel_kfunc_ids,
	.filter = morsel_kfunc_filter,
};

/* After the BPF core is up, as policy.c registers struct morsel_ops. */
static int __init morsel_kfunc_init(void)
{
	int err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &morsel_kfunc_set);

	if (err)
		pr_err("morsel: cannot register the policy kfuncs (%d)\n", err);
	return 0;
}
late_initcall(morsel_kfunc_init);
