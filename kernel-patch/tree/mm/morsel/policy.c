// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ownership policy: the built-in default and struct morsel_ops, the eBPF
 * struct_ops type that replaces it per experiment (policy.h has the hooks
 * and their answers). Modelled on sched_ext: one policy at a time, every
 * answer checked, a policy that answers out of range or defers a recall
 * past the mechanism's bound is detached with the reason and the default
 * answers from then on; /sys/kernel/morsel/policy shows all of it.
 *
 * Attaching is link-only (a policy goes away with the process or bpffs pin
 * that holds it); BPF_LINK_UPDATE swaps policies atomically.
 *
 * Locking: policy_mutex serialises reg, unreg and update (BPF core, may
 * sleep) and owns @attached. The hooks read morsel_policy under RCU: it is
 * cleared either by unreg (which then waits for a grace period) or by
 * policy_fail() from inside a hook; both clear it with cmpxchg, so exactly
 * one of them reports. The ops memory itself is freed by the BPF core only
 * after an RCU grace period (bpf_struct_ops_map_free()). reason_lock
 * protects the text that sysfs shows, and orders publishing a policy
 * against reporting the failure of the one before.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <trace/events/morsel.h>
#include "internal.h"
#include "policy.h"

enum policy_state {
	POLICY_DEFAULT,		/* nothing attached: the default answers */
	POLICY_ENABLED,		/* a BPF policy answers */
	POLICY_ERROR,		/* detached by the kernel; its link still held */
};

static const char *const state_names[] = {
	[POLICY_DEFAULT] = "default",
	[POLICY_ENABLED] = "enabled",
	[POLICY_ERROR] = "error",
};

static const char *const hook_names[MORSEL_HOOK_NR] = {
	[MORSEL_HOOK_READ_FAULT] = "read_fault",
	[MORSEL_HOOK_WRITE_FAULT] = "write_fault",
	[MORSEL_HOOK_RECALL] = "recall",
	[MORSEL_HOOK_SYNC] = "sync",
	[MORSEL_HOOK_TICK] = "tick",
	[MORSEL_HOOK_RECALL_BLOCK] = "recall_block",
	[MORSEL_HOOK_RELINK] = "relink",
};

static struct morsel_ops __rcu *morsel_policy;
static struct morsel_ops *attached;	/* policy_mutex */
static DEFINE_MUTEX(policy_mutex);
static DEFINE_SPINLOCK(reason_lock);
static enum policy_state state;		/* reason_lock */
static char name[MORSEL_POLICY_NAME_LEN] = "default";	/* reason_lock */
static char last_reason[192] = "none";	/* reason_lock */
static atomic64_t enable_seq, detach_seq, errors, granted, deferred, deferred_us;
static atomic64_t decisions[MORSEL_HOOK_NR];
static u32 morsel_ops_type_id;

/* morsel_policy_on_change(): set once at init, called under policy_mutex. */
static void (*changed_fn)(void);

/**
 * morsel_policy_check() - check one answer of a policy.
 * @hook: the hook that answered.
 * @ret: its return value.
 * @defer_bound_us: longest deferral of a recall the mechanism allows.
 * @grant_room: most pages a write fault may take after its page.
 * @a: the answer to act on.
 * @why: the reason, when the answer is refused.
 * @len: size of @why.
 *
 * A grant is a hint and is clamped; every other answer outside its range
 * is refused, since a policy that gives it does not do what it claims.
 *
 * Return: 0, or -EINVAL (out of range) / -ERANGE (deferral past the bound).
 */
int morsel_policy_check(enum morsel_policy_hook hook, u64 ret, u32 defer_bound_us,
			u64 grant_room, struct morsel_policy_answer *a,
			char *why, size_t len)
{
	/* Hooks that answer one of an enum: how many values it has. */
	static const u32 choices[MORSEL_HOOK_NR] = {
		[MORSEL_HOOK_READ_FAULT] = MORSEL_READ_NR,
		[MORSEL_HOOK_SYNC] = MORSEL_SYNC_NR,
		[MORSEL_HOOK_TICK] = MORSEL_SYNC_NR,
		[MORSEL_HOOK_RELINK] = MORSEL_RELINK_NR,
	};
	u64 defer;

	a->value = 0;
	a->defer_us = 0;
	if (hook >= MORSEL_HOOK_NR) {
		snprintf(why, len, "unknown hook %d", hook);
		return -EINVAL;
	}
	switch (hook) {
	case MORSEL_HOOK_WRITE_FAULT:
		a->value = min3(ret, (u64)MORSEL_GRANT_MAX, grant_room);
		return 0;
	case MORSEL_HOOK_RECALL:
		defer = ret >> MORSEL_RECALL_DEFER_SHIFT;
		ret &= GENMASK_ULL(MORSEL_RECALL_DEFER_SHIFT - 1, 0);
		if (ret >= MORSEL_RECALL_NR)
			break;
		if (defer > defer_bound_us) {
			snprintf(why, len, "recall deferred %llu us, bound %u us",
				 defer, defer_bound_us);
			return -ERANGE;
		}
		a->value = ret;
		a->defer_us = defer;
		return 0;
	case MORSEL_HOOK_RECALL_BLOCK:
		/* An aligned block stays inside its 2 MiB: the table it edits. */
		if (ret > MORSEL_CHUNK_PAGES || (ret & (ret - 1)))
			break;
		a->value = ret;
		return 0;
	default:
		if (ret >= choices[hook])
			break;
		a->value = ret;
		return 0;
	}
	snprintf(why, len, "%s returned %llu, out of range", hook_names[hook], ret);
	return -EINVAL;
}

/*
 * policy/detach_seq, for poll(): a loader sleeps until the kernel detaches
 * its policy instead of reading the count at a rate. Set once at boot.
 */
static struct kernfs_node *detach_seq_kn;

/**
 * morsel_policy_sysfs_ready() - the policy's sysfs files exist: keep what
 *	a detach notifies.
 * @kobj: the kobject that holds the "policy" group.
 */
void morsel_policy_sysfs_ready(struct kobject *kobj)
{
	struct kernfs_node *dir = sysfs_get_dirent(kobj->sd, "policy");

	if (!dir)
		return;
	WRITE_ONCE(detach_seq_kn, sysfs_get_dirent(dir, "detach_seq"));
	kernfs_put(dir);
}

/* Take @ops out because it misbehaved; the default answers from now on. */
static void policy_fail(struct morsel_ops *ops, const char *why)
{
	struct kernfs_node *kn = READ_ONCE(detach_seq_kn);
	bool counted = false;

	if (unrcu_pointer(cmpxchg(&morsel_policy, RCU_INITIALIZER(ops), NULL)) != ops)
		return;	/* already out: one report per policy */
	spin_lock(&reason_lock);
	snprintf(last_reason, sizeof(last_reason), "%s: %s", ops->name, why);
	/* A policy swapped in meanwhile (update) is in force: leave its state. */
	if (!rcu_access_pointer(morsel_policy)) {
		state = POLICY_ERROR;
		strscpy(name, "default", sizeof(name));
		atomic64_inc(&detach_seq);
		counted = true;
	}
	spin_unlock(&reason_lock);
	pr_err("morsel: policy %s detached: %s\n", ops->name, why);
	/* Pollers of the count it moved; any context (a hook may fail under a spinlock). */
	if (counted && kn)
		kernfs_notify(kn);
}

/* Run @hook of @ops if it has one; false means the default answers. */
static bool run_hook(struct morsel_ops *ops, enum morsel_policy_hook hook,
		     struct morsel_policy_ctx *c, u64 *ret)
{
	u32 (*fn)(struct morsel_policy_ctx *c) = NULL;

	switch (hook) {
	case MORSEL_HOOK_RECALL:	/* the one 64-bit answer */
		if (!ops->recall)
			return false;
		*ret = ops->recall(c);
		return true;
	case MORSEL_HOOK_READ_FAULT:
		fn = ops->read_fault;
		break;
	case MORSEL_HOOK_WRITE_FAULT:
		fn = ops->write_fault;
		break;
	case MORSEL_HOOK_SYNC:
		fn = ops->sync;
		break;
	case MORSEL_HOOK_TICK:
		fn = ops->tick;
		break;
	case MORSEL_HOOK_RECALL_BLOCK:
		fn = ops->recall_block;
		break;
	case MORSEL_HOOK_RELINK:
		fn = ops->relink;
		break;
	default:
		break;
	}
	if (!fn)
		return false;
	*ret = fn(c);
	return true;
}

/*
 * Ask the policy. The BPF program runs under rcu_read_lock(), which is why
 * check_member refuses sleepable programs for these hooks. The zero answer
 * is the default's for every hook.
 */
static struct morsel_policy_answer decide(enum morsel_policy_hook hook,
					  struct morsel_policy_ctx *c,
					  u32 defer_bound_us, u64 grant_room)
{
	struct morsel_policy_answer a = {};
	struct morsel_ops *ops;
	bool bpf = false;
	char why[96];
	u64 ret;

	c->now_ns = ktime_get_ns();
	rcu_read_lock();
	ops = rcu_dereference(morsel_policy);
	if (ops && run_hook(ops, hook, c, &ret)) {
		atomic64_inc(&decisions[hook]);
		bpf = true;
		if (morsel_policy_check(hook, ret, defer_bound_us, grant_room,
					&a, why, sizeof(why))) {
			atomic64_inc(&errors);
			policy_fail(ops, why);
			a = (struct morsel_policy_answer){};
			bpf = false;
		}
	}
	rcu_read_unlock();
	trace_morsel_policy(hook, c->obj, c->page, a.value, a.defer_us, bpf);
	return a;
}

/**
 * morsel_policy_read_fault() - share a page on a read fault, or take it?
 * @ctx: the question.
 *
 * Return: enum morsel_read_decision.
 */
u32 morsel_policy_read_fault(struct morsel_policy_ctx *ctx)
{
	return decide(MORSEL_HOOK_READ_FAULT, ctx, 0, 0).value;
}

/**
 * morsel_policy_write_fault() - pages to take with a write-faulted page.
 * @ctx: the question.
 * @room: pages after it that exist in the object and the mapping.
 *
 * Return: 0..min(MORSEL_GRANT_MAX, @room).
 */
u32 morsel_policy_write_fault(struct morsel_policy_ctx *ctx, u64 room)
{
	return decide(MORSEL_HOOK_WRITE_FAULT, ctx, 0, room).value;
}

/**
 * morsel_policy_recall() - answer a recall now or later, keep a copy or not.
 * @ctx: the question.
 * @defer_bound_us: the mechanism's bound on a deferral.
 * @defer_us: how long to wait before answering.
 *
 * Return: enum morsel_recall_decision.
 */
u32 morsel_policy_recall(struct morsel_policy_ctx *ctx, u32 defer_bound_us,
			 u32 *defer_us)
{
	struct morsel_policy_answer a;

	a = decide(MORSEL_HOOK_RECALL, ctx, defer_bound_us, 0);
	*defer_us = a.defer_us;
	return a.value;
}

/**
 * morsel_policy_sync() - what to do with an owned page at msync/fsync.
 * @ctx: the question.
 *
 * Return: enum morsel_sync_decision.
 */
u32 morsel_policy_sync(struct morsel_policy_ctx *ctx)
{
	return decide(MORSEL_HOOK_SYNC, ctx, 0, 0).value;
}

/**
 * morsel_policy_tick() - what to do with a page this host owns or reads.
 * @ctx: the question.
 *
 * Return: enum morsel_sync_decision.
 */
u32 morsel_policy_tick(struct morsel_policy_ctx *ctx)
{
	return decide(MORSEL_HOOK_TICK, ctx, 0, 0).value;
}

/**
 * morsel_policy_recall_block() - how much of a 2 MiB a reader's recall takes.
 * @ctx: the question (@ctx->page is the page asked for).
 *
 * Return: pages of the aligned block around @ctx->page to downgrade with
 * it: a power of two, at most MORSEL_CHUNK_PAGES (the default).
 */
u32 morsel_policy_recall_block(struct morsel_policy_ctx *ctx)
{
	return decide(MORSEL_HOOK_RECALL_BLOCK, ctx, 0, 0).value ?: MORSEL_CHUNK_PAGES;
}

/**
 * morsel_policy_relink() - back to the pool's table, now that this host
 * owns nothing of a 2 MiB?
 * @ctx: the question (@ctx->page is the first page of the 2 MiB).
 *
 * Return: enum morsel_relink_decision.
 */
u32 morsel_policy_relink(struct morsel_policy_ctx *ctx)
{
	return decide(MORSEL_HOOK_RELINK, ctx, 0, 0).value;
}

/**
 * morsel_policy_count_granted() - pages taken beyond a write-faulted page.
 * @pages: how many.
 */
void morsel_policy_count_granted(u64 pages)
{
	atomic64_add(pages, &granted);
}

/**
 * morsel_policy_count_deferred() - a recall was answered late, by choice.
 * @us: the deferral granted.
 */
void morsel_policy_count_deferred(u32 us)
{
	atomic64_inc(&deferred);
	atomic64_add(us, &deferred_us);
}

/**
 * morsel_policy_tick_ms() - the period of the policy's tick.
 *
 * Return: milliseconds, or 0 if the policy has no tick hook.
 */
u32 morsel_policy_tick_ms(void)
{
	struct morsel_ops *ops;
	u32 ms = 0;

	rcu_read_lock();
	ops = rcu_dereference(morsel_policy);
	if (ops && ops->tick)
		ms = ops->tick_ms ?: MORSEL_TICK_MS_DEFAULT;
	rcu_read_unlock();
	return ms;
}

/**
 * morsel_policy_on_change() - be told when a policy becomes the answering one.
 * @fn: called after the switch, in process context; NULL to stop.
 *
 * The mechanism's periodic work (the tick, in writeback.c) registers here
 * so that the policy side never calls into the mechanism.
 */
void morsel_policy_on_change(void (*fn)(void))
{
	WRITE_ONCE(changed_fn, fn);
}

static void policy_changed(void)
{
	void (*changed)(void);

	changed = READ_ONCE(changed_fn);
	if (changed)
		changed();
}

/* Make @ops the answering policy (policy_mutex held). */
static int policy_enable(struct morsel_ops *ops)
{
	int err = ops->init ? ops->init() : 0;

	if (err) {
		spin_lock(&reason_lock);
		snprintf(last_reason, sizeof(last_reason), "%s: init returned %d",
			 ops->name, err);
		spin_unlock(&reason_lock);
		pr_warn("morsel: policy %s refused: init returned %d\n", ops->name, err);
		return err < 0 ? err : -EINVAL;
	}
	/* Published under reason_lock: see policy_fail(). */
	spin_lock(&reason_lock);
	strscpy(name, ops->name, sizeof(name));
	state = POLICY_ENABLED;
	rcu_assign_pointer(morsel_policy, ops);
	spin_unlock(&reason_lock);
	atomic64_inc(&enable_seq);
	pr_info("morsel: policy %s enabled\n", ops->name);
	policy_changed();
	return 0;
}

static int bpf_morsel_reg(void *kdata, struct bpf_link *link)
{
	int err = -EBUSY;

	if (!link)
		return -EOPNOTSUPP;	/* link-only: see the header comment */
	mutex_lock(&policy_mutex);
	if (!attached) {
		err = policy_enable(kdata);
		if (!err)
			attached = kdata;
	}
	mutex_unlock(&policy_mutex);
	return err;
}

static void bpf_morsel_unreg(void *kdata, struct bpf_link *link)
{
	struct morsel_ops *ops = kdata;

	mutex_lock(&policy_mutex);
	if (attached == ops) {
		attached = NULL;
		if (unrcu_pointer(cmpxchg(&morsel_policy, RCU_INITIALIZER(ops), NULL)) == ops)
			pr_info("morsel: policy %s detached by its owner\n", ops->name);
		/* No hook may still be running it once unreg returns. */
		synchronize_rcu();
		spin_lock(&reason_lock);
		state = POLICY_DEFAULT;
		strscpy(name, "default", sizeof(name));
		spin_unlock(&reason_lock);
	}
	mutex_unlock(&policy_mutex);
}

static int bpf_morsel_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	int err = -ESRCH;

	mutex_lock(&policy_mutex);
	if (attached == old_kdata) {
		/*
		 * policy_enable() replaces the pointer in one store: every
		 * hook sees the old policy or the new one, never none. The old
		 * ops are freed by the BPF core after a grace period.
		 */
		err = policy_enable(kdata);
		if (!err)
			attached = kdata;
	}
	mutex_unlock(&policy_mutex);
	return err;
}

static int bpf_morsel_validate(void *kdata)
{
	struct morsel_ops *ops = kdata;

	return ops->name[0] ? 0 : -EINVAL;
}

static int bpf_morsel_init_member(const struct btf_type *t,
				  const struct btf_member *member,
				  void *kdata, const void *udata)
{
	const struct morsel_ops *uops = udata;
	struct morsel_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;
	int ret;

	switch (moff) {
	case offsetof(struct morsel_ops, tick_ms):
		if (uops->tick_ms && (uops->tick_ms < MORSEL_TICK_MS_MIN ||
				      uops->tick_ms > MORSEL_TICK_MS_MAX))
			return -ERANGE;
		ops->tick_ms = uops->tick_ms;
		return 1;
	case offsetof(struct morsel_ops, name):
		ret = bpf_obj_name_cpy(ops->name, uops->name, sizeof(ops->name));
		if (ret < 0)
			return ret;
		return ret ? 1 : -EINVAL;	/* a policy must say its name */
	}
	return 0;
}

/* Every decision hook runs under rcu_read_lock(); only init may sleep. */
static int bpf_morsel_check_member(const struct btf_type *t,
				   const struct btf_member *member,
				   const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	if (prog->sleepable && moff != offsetof(struct morsel_ops, init))
		return -EINVAL;
	return 0;
}

static int bpf_morsel_init(struct btf *btf)
{
	s32 id = btf_find_by_name_kind(btf, "morsel_ops", BTF_KIND_STRUCT);

	if (id < 0)
		return id;
	morsel_ops_type_id = id;
	return 0;
}

static bool bpf_morsel_is_valid_access(int off, int size, enum bpf_access_type type,
				       const struct bpf_prog *prog,
				       struct bpf_insn_access_aux *info)
{
	if (type != BPF_READ || off < 0 || off >= sizeof(__u64) * MAX_BPF_FUNC_ARGS ||
	    off % size)
		return false;
	return btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
bpf_morsel_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

/* Writes through the context are refused: a policy answers, it does not edit. */
static const struct bpf_verifier_ops bpf_morsel_verifier_ops = {
	.get_func_proto = bpf_morsel_get_func_proto,
	.is_valid_access = bpf_morsel_is_valid_access,
};

/* CFI targets of the trampolines; a NULL stub would mean "no such hook". */
static u32 morsel_ops__read_fault(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u32 morsel_ops__write_fault(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u64 morsel_ops__recall(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u32 morsel_ops__sync(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u32 morsel_ops__tick(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u32 morsel_ops__recall_block(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static u32 morsel_ops__relink(struct morsel_policy_ctx *ctx)
{
	return 0;
}

static s32 morsel_ops__init(void)
{
	return 0;
}

static struct morsel_ops __bpf_ops_morsel_ops = {
	.read_fault = morsel_ops__read_fault,
	.write_fault = morsel_ops__write_fault,
	.recall = morsel_ops__recall,
	.sync = morsel_ops__sync,
	.tick = morsel_ops__tick,
	.recall_block = morsel_ops__recall_block,
	.relink = morsel_ops__relink,
	.init = morsel_ops__init,
};

static struct bpf_struct_ops bpf_morsel_ops = {
	.verifier_ops = &bpf_morsel_verifier_ops,
	.init = bpf_morsel_init,
	.check_member = bpf_morsel_check_member,
	.init_member = bpf_morsel_init_member,
	.validate = bpf_morsel_validate,
	.reg = bpf_morsel_reg,
	.unreg = bpf_morsel_unreg,
	.update = bpf_morsel_update,
	.cfi_stubs = &__bpf_ops_morsel_ops,
	.name = "morsel_ops",
	.owner = THIS_MODULE,
};

/**
 * morsel_policy_prog() - is this BPF program part of a morsel policy?
 * @prog: the program.
 *
 * Return: true for programs of struct morsel_ops.
 */
bool morsel_policy_prog(const struct bpf_prog *prog)
{
	return prog->aux->attach_btf_id == morsel_ops_type_id;
}

static ssize_t name_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	ssize_t n;

	spin_lock(&reason_lock);
	n = sysfs_emit(buf, "%s\n", name);
	spin_unlock(&reason_lock);
	return n;
}

static ssize_t state_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	ssize_t n;

	spin_lock(&reason_lock);
	n = sysfs_emit(buf, "%s\n", state_names[state]);
	spin_unlock(&reason_lock);
	return n;
}

static ssize_t last_detach_reason_show(struct kobject *k, struct kobj_attribute *a,
				       char *buf)
{
	ssize_t n;

	spin_lock(&reason_lock);
	n = sysfs_emit(buf, "%s\n", last_reason);
	spin_unlock(&reason_lock);
	return n;
}

#define POLICY_COUNTER(file, var)					\
static ssize_t file##_show(struct kobject *k, struct kobj_attribute *a,	\
			   char *buf)					\
{									\
	return sysfs_emit(buf, "%lld\n", atomic64_read(&(var)));	\
}									\
static struct kobj_attribute file##_attr = __ATTR_RO(file)

POLICY_COUNTER(enable_seq, enable_seq);
POLICY_COUNTER(detach_seq, detach_seq);
POLICY_COUNTER(errors, errors);
POLICY_COUNTER(granted, granted);
POLICY_COUNTER(deferred, deferred);
POLICY_COUNTER(deferred_us, deferred_us);
POLICY_COUNTER(decisions_read_fault, decisions[MORSEL_HOOK_READ_FAULT]);
POLICY_COUNTER(decisions_write_fault, decisions[MORSEL_HOOK_WRITE_FAULT]);
POLICY_COUNTER(decisions_recall, decisions[MORSEL_HOOK_RECALL]);
POLICY_COUNTER(decisions_sync, decisions[MORSEL_HOOK_SYNC]);
POLICY_COUNTER(decisions_tick, decisions[MORSEL_HOOK_TICK]);
POLICY_COUNTER(decisions_recall_block, decisions[MORSEL_HOOK_RECALL_BLOCK]);
POLICY_COUNTER(decisions_relink, decisions[MORSEL_HOOK_RELINK]);

static struct kobj_attribute name_attr = __ATTR_RO(name);
static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute last_detach_reason_attr = __ATTR_RO(last_detach_reason);

static struct attribute *policy_attrs[] = {
	&name_attr.attr, &state_attr.attr, &last_detach_reason_attr.attr,
	&enable_seq_attr.attr, &detach_seq_attr.attr, &errors_attr.attr,
	&granted_attr.attr, &deferred_attr.attr, &deferred_us_attr.attr,
	&decisions_read_fault_attr.attr, &decisions_write_fault_attr.attr,
	&decisions_recall_attr.attr, &decisions_sync_attr.attr,
	&decisions_tick_attr.attr, &decisions_recall_block_attr.attr,
	&decisions_relink_attr.attr, NULL,
};

const struct attribute_group morsel_policy_group = {
	.name = "policy",
	.attrs = policy_attrs,
};

/*
 * After the BPF core is up (late_initcall, as TCP congestion control and
 * HID-BPF do). Without it the default policy still runs: report and go on.
 */
static int __init morsel_policy_init(void)
{
	int err;

	BTF_TYPE_EMIT_ENUM(MORSEL_READ_NR);
	BTF_TYPE_EMIT_ENUM(MORSEL_RECALL_NR);
	BTF_TYPE_EMIT_ENUM(MORSEL_SYNC_NR);
	BTF_TYPE_EMIT_ENUM(MORSEL_RELINK_NR);
	BTF_TYPE_EMIT_ENUM(MORSEL_CNT_NR);
	BTF_TYPE_EMIT_ENUM(MORSEL_GRANT_MAX);
	err = register_bpf_struct_ops(&bpf_morsel_ops, morsel_ops);
	if (err)
		pr_err("morsel: cannot register the policy interface (%d): default policy only\n",
		       err);
	return 0;
}
late_initcall(morsel_policy_init);
