/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ownership policy interface: the questions the mechanism leaves open
 * and the answers a policy may give. A policy is the built-in default or
 * one eBPF struct_ops program (struct morsel_ops); every type here is in
 * vmlinux BTF, so BPF policies see it through vmlinux.h.
 *
 *   hook         asked when                      answer (validated)
 *   read_fault   a read fault needs the page     SHARE, or EXCLUSIVE at once
 *   write_fault  a write fault got the page      pages after it to take too
 *                                                (clamped to GRANT_MAX and to
 *                                                the object and mapping)
 *   recall       another host asks for a page    AS_ASKED or GIVE_UP (drop
 *                this host owns                  the read copy too), plus a
 *                                                deferral in us: more than
 *                                                lease / 10 detaches; one
 *                                                sender's deferrals in a
 *                                                lease period share that
 *                                                budget (clamped); the
 *                                                handler thread serves the
 *                                                others meanwhile
 *   sync         msync()/fsync() of a range,     KEEP (lazy), WRITEBACK, or
 *                per page owned exclusively      RELEASE (write back, share)
 *   tick         every tick_ms, per page this    KEEP, WRITEBACK, RELEASE
 *                host owns or reads              (a reader drops its copy)
 *   recall_block a reader recalls a page of a    pages of the aligned block
 *                2 MiB it maps whole: how much   around it to downgrade: a
 *                of that 2 MiB goes along        power of two up to
 *                                                CHUNK_PAGES; 0 = all of it
 *   relink       this host owns nothing of a     POOL (its mappings return
 *                2 MiB it maps through a table   to the pool's table, ours
 *                of its own (after a recall,     is freed) or KEEP
 *                a release, and at every tick)
 *   init         at attach (may sleep)           0, or an errno: refused
 *
 * The default answers SHARE, 0, AS_ASKED, KEEP, KEEP, the whole 2 MiB,
 * POOL: write back only when recalled; a reader following a writer pays
 * one recall per 2 MiB; a host that owns nothing of a 2 MiB reads it
 * through the pool's table. An answer outside its range, or a deferral past the bound,
 * detaches the policy with the reason and the default answers instead.
 */
#ifndef _MM_MORSEL_POLICY_H
#define _MM_MORSEL_POLICY_H

#include <linux/types.h>

/*
 * The limits of the interface, as enum members so that BPF policies see
 * them through vmlinux.h instead of keeping copies.
 */
enum morsel_policy_consts {
	MORSEL_POLICY_NAME_LEN = 32,
	MORSEL_GRANT_MAX = 16,		/* pages a write fault may take after its page */
	MORSEL_RECALL_DEFER_SHIFT = 8,	/* recall answer: decision | defer_us << shift */
	MORSEL_TICK_MS_DEFAULT = 50,
	MORSEL_TICK_MS_MIN = 10,
	MORSEL_TICK_MS_MAX = 1000,
	MORSEL_CHUNK_PAGES = 512,	/* pages per PTE table: one recall_block at most */
};

enum morsel_read_decision {
	MORSEL_READ_SHARE,
	MORSEL_READ_EXCLUSIVE,
	MORSEL_READ_NR,
};

enum morsel_recall_decision {
	MORSEL_RECALL_AS_ASKED,
	MORSEL_RECALL_GIVE_UP,
	MORSEL_RECALL_NR,
};

/* What to do with a page at a sync point (msync/fsync) or a tick. */
enum morsel_sync_decision {
	MORSEL_SYNC_KEEP,	/* nothing now */
	MORSEL_SYNC_WRITEBACK,	/* an owned page: write it back, stay its owner */
	MORSEL_SYNC_RELEASE,	/* an owned page: write it back and share it;
				 * a read copy (tick): drop it
				 */
	MORSEL_SYNC_NR,
};

/* What becomes of a 2 MiB that this host owns nothing of again. */
enum morsel_relink_decision {
	MORSEL_RELINK_POOL,	/* link the pool's table; free ours */
	MORSEL_RELINK_KEEP,	/* keep ours (this host is about to write again) */
	MORSEL_RELINK_NR,
};

enum morsel_policy_hook {
	MORSEL_HOOK_READ_FAULT,
	MORSEL_HOOK_WRITE_FAULT,
	MORSEL_HOOK_RECALL,
	MORSEL_HOOK_SYNC,
	MORSEL_HOOK_TICK,
	MORSEL_HOOK_RECALL_BLOCK,
	MORSEL_HOOK_RELINK,
	MORSEL_HOOK_NR,
};

/* Counters a policy can read with bpf_morsel_obj_counter() (counters.h). */
enum morsel_obj_counter {
#define MORSEL_COUNTER(name) MORSEL_CNT_##name,
#include "counters.h"
	MORSEL_CNT_NR,
};

/**
 * struct morsel_policy_ctx - what a policy is told about one question.
 * @obj: directory index of the object.
 * @host: this host.
 * @page: page index (relink: the first page of the 2 MiB).
 * @pages: object size in pages.
 * @entry: the page's authoritative entry when asked (MORSEL_PTE_* layout).
 * @peer: recall, recall_block: the host asking.
 * @mode: recall: 0 downgrade (a reader asks), 1 invalidate (a writer asks).
 * @now_ns: ktime_get_ns() when asked.
 */
struct morsel_policy_ctx {
	u32 obj;
	u32 host;
	u64 page;
	u64 pages;
	u64 entry;
	u32 peer;
	u32 mode;
	u64 now_ns;
};

/**
 * struct morsel_ops - an ownership policy (see the table above).
 * @read_fault: a read fault needs a page: enum morsel_read_decision.
 * @write_fault: a write fault got a page: pages after it to take too.
 * @recall: another host asks for a page this host owns: enum
 *	morsel_recall_decision | deferral in us << MORSEL_RECALL_DEFER_SHIFT.
 * @sync: msync()/fsync(), per page owned: enum morsel_sync_decision.
 * @tick: every @tick_ms, per page owned or read: enum morsel_sync_decision.
 * @recall_block: a reader's recall of a page in a 2 MiB it maps whole:
 *	pages of the aligned block around the page to downgrade with it (a
 *	power of two, at most MORSEL_CHUNK_PAGES), 0 for the whole 2 MiB.
 * @relink: this host owns nothing of a 2 MiB that it maps through a table
 *	of its own: enum morsel_relink_decision.
 * @init: at attach (may sleep): 0, or an errno to refuse.
 * @tick_ms: period of @tick, 0 for MORSEL_TICK_MS_DEFAULT (clamped).
 * @name: shown in /sys/kernel/morsel/policy/name; must not be empty.
 *
 * No struct module member: the kernel is built without modules, and a
 * struct_ops type naming struct module does not register then.
 */
struct morsel_ops {
	u32 (*read_fault)(struct morsel_policy_ctx *ctx);
	u32 (*write_fault)(struct morsel_policy_ctx *ctx);
	u64 (*recall)(struct morsel_policy_ctx *ctx);
	u32 (*sync)(struct morsel_policy_ctx *ctx);
	u32 (*tick)(struct morsel_policy_ctx *ctx);
	u32 (*recall_block)(struct morsel_policy_ctx *ctx);
	u32 (*relink)(struct morsel_policy_ctx *ctx);
	s32 (*init)(void);
	u32 tick_ms;
	char name[MORSEL_POLICY_NAME_LEN];
};

/* The checked answer of one hook (pure; policy_test.c drives it). */
struct morsel_policy_answer {
	u32 value;	/* decision, or pages to grant */
	u32 defer_us;	/* recall only */
};

int morsel_policy_check(enum morsel_policy_hook hook, u64 ret, u32 defer_bound_us,
			u64 grant_room, struct morsel_policy_answer *a,
			char *why, size_t len);

/* Called by the mechanism; each returns a validated answer. */
u32 morsel_policy_read_fault(struct morsel_policy_ctx *ctx);
u32 morsel_policy_write_fault(struct morsel_policy_ctx *ctx, u64 room);
u32 morsel_policy_recall(struct morsel_policy_ctx *ctx, u32 defer_bound_us,
			 u32 *defer_us);
u32 morsel_policy_sync(struct morsel_policy_ctx *ctx);
u32 morsel_policy_tick(struct morsel_policy_ctx *ctx);
u32 morsel_policy_recall_block(struct morsel_policy_ctx *ctx);
u32 morsel_policy_relink(struct morsel_policy_ctx *ctx);
u32 morsel_policy_tick_ms(void);
void morsel_policy_on_change(void (*fn)(void));
void morsel_policy_count_granted(u64 pages);
struct bpf_prog;
bool morsel_policy_prog(const struct bpf_prog *prog);
void morsel_policy_count_deferred(u32 us);

extern const struct attribute_group morsel_policy_group;
struct kobject;
void morsel_policy_sysfs_ready(struct kobject *kobj);

#endif /* _MM_MORSEL_POLICY_H */
