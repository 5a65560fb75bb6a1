// SPDX-License-Identifier: GPL-2.0-only
/*
 * Releasing pages: when this host writes back what it wrote and gives up
 * access other than when recalled. The policy answers, this file acts:
 *
 *   sync point   msync(MS_SYNC)/fsync() of a range: per page this host
 *                owns, the policy's sync hook says keep it (lazy: written
 *                back when recalled), write it back, or release it
 *   tick         every tick_ms while the policy has a tick hook: per page
 *                this host owns or reads, the same answers; releasing a
 *                read copy drops it (reader self-invalidation)
 *
 * morsel_release_page() is the one way an owner gives up a page: write
 * back first, then publish; recall.c answers recalls with it too.
 */
#include <linux/fs.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>
#include <trace/events/morsel.h>
#include "overlay.h"

/**
 * morsel_release_page() - the owner gives up exclusive access to a page.
 * @p: the pool.
 * @ov: this host's overlay, or NULL if the object is not open here.
 * @idx: directory index.
 * @page: page index.
 * @flags: MORSEL_OWN_DOWNGRADE to keep a read copy.
 *
 * Writes the page back (and without a read copy left, invalidates it)
 * and shows it in the pool's hardware table before the entry says that
 * another host may have it. Does nothing if
 * this host does not own the page (a recall that no longer applies).
 *
 * Context: ov->lock held (if @ov), the page unmapped by the caller.
 */
void morsel_release_page(struct morsel_pool *p, struct morsel_overlay *ov,
			 unsigned int idx, u64 page, u32 flags)
{
	struct morsel_own_req me = { .host = p->host_id, .flags = flags };
	u64 *pte = morsel_obj_pte(p, idx, page), e = READ_ONCE(*pte), old, new;

	/* Only the owner changes an entry it owns: e stays until we publish. */
	if (!morsel_pte_owned_by(e, me.host))
		return;
	if (ov)
		morsel_overlay_writeback(ov, page, e);
	else
		morsel_cache_writeback(morsel_frame_addr(p, e));
	if (ov && !(flags & MORSEL_OWN_DOWNGRADE))
		morsel_overlay_invalidate(ov, page, e);
	me.expect = e;
	if (!morsel_pooltable_release(p, idx, page, morsel_own_release, &me, &old, &new))
		trace_morsel_release(idx, page, me.host, flags & MORSEL_OWN_DOWNGRADE, new);
}

/*
 * Reader self-invalidation: unmap, leave the reader set, drop the copy.
 * The copy goes with the membership: nobody recalls a non-reader, so a
 * copy kept past this point could be mapped again as if current (e.g. after
 * another host punched the page and this host took a fresh frame for it).
 */
static void drop_copy(struct morsel_overlay *ov, u64 page)
{
	struct morsel_own_req me = overlay_req(ov, 0);
	u64 old, new;

	mutex_lock(&ov->lock);
	morsel_overlay_zap(ov, page);
	if (!morsel_pte_update(overlay_pte(ov, page), morsel_own_drop_reader, &me,
			       &old, &new))
		morsel_overlay_invalidate(ov, page, old);
	mutex_unlock(&ov->lock);
}

/*
 * Act on a sync or tick decision about a page this host owns or reads.
 * Returns true if it gave up a page it owned.
 */
static bool apply_decision(struct morsel_overlay *ov, u64 page, u32 decision)
{
	struct morsel_pool *p = ov->pool;
	u64 e;

	switch (decision) {
	case MORSEL_SYNC_WRITEBACK:
		mutex_lock(&ov->lock);
		e = READ_ONCE(*overlay_pte(ov, page));
		if (morsel_pte_owned_by(e, p->host_id))
			morsel_overlay_writeback(ov, page, e);
		mutex_unlock(&ov->lock);
		break;
	case MORSEL_SYNC_RELEASE:
		if (!morsel_pte_owned_by(READ_ONCE(*overlay_pte(ov, page)), p->host_id)) {
			drop_copy(ov, page);
			break;
		}
		mutex_lock(&ov->lock);
		morsel_overlay_zap(ov, page);	/* mapped again read-only */
		morsel_release_page(p, ov, ov->idx, page, MORSEL_OWN_DOWNGRADE);
		mutex_unlock(&ov->lock);
		return true;
	}
	return false;
}

/* Is @page the last of its 2 MiB? */
static bool chunk_last(u64 page)
{
	return (page + 1) % PTRS_PER_PTE == 0;
}

/**
 * morsel_overlay_fsync() - msync(MS_SYNC) and fsync(): a sync point.
 * @file: an object file.
 * @start: first byte.
 * @end: last byte.
 * @datasync: fdatasync() (the same here).
 *
 * The policy says, per page this host owns in the range, whether to write
 * it back now and whether to stay its owner; the default keeps it (lazy:
 * written back when recalled).
 *
 * Return: 0, -ENOTCONN (this host is not online), -ESTALE (deleted), or
 * -EINTR.
 */
int morsel_overlay_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	struct morsel_policy_ctx ctx;
	u64 page, last, pages;
	bool released = false;
	int err = overlay_usable(ov);

	if (err)
		return err;
	pages = overlay_pages(ov);
	if (start < 0 || end < start || !pages || (u64)start >= pages << PAGE_SHIFT)
		return 0;
	last = min_t(u64, (u64)end >> PAGE_SHIFT, pages - 1);
	for (page = (u64)start >> PAGE_SHIFT; page <= last; page++) {
		if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
			return -ENOTCONN;	/* fenced: its pages are not ours */
		if (morsel_pte_owned_by(READ_ONCE(*overlay_pte(ov, page)), p->host_id)) {
			overlay_policy_ctx(ov, page, pages, &ctx);
			released |= apply_decision(ov, page, morsel_policy_sync(&ctx));
		}
		/* Gave up pages of a 2 MiB: maybe all it had there. */
		if (released && (page == last || chunk_last(page))) {
			morsel_subtree_relink(ov, page / PTRS_PER_PTE);
			released = false;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static void tick_overlay(struct morsel_overlay *ov)
{
	struct morsel_pool *p = ov->pool;
	u64 page, pages = overlay_pages(ov), e;
	struct morsel_policy_ctx ctx;

	if (overlay_plain(ov))
		return;	/* no protocol: nothing to decide about */
	for (page = 0; page < pages && overlay_live(ov); page++) {
		if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
			return;
		e = READ_ONCE(*overlay_pte(ov, page));
		if (morsel_pte_owned_by(e, p->host_id) || morsel_pte_read_by(e, p->host_id)) {
			overlay_policy_ctx(ov, page, pages, &ctx);
			apply_decision(ov, page, morsel_policy_tick(&ctx));
			cond_resched();
		}
		/* A policy that kept a table of a 2 MiB may let it go now. */
		if (page == pages - 1 || chunk_last(page))
			morsel_subtree_relink(ov, page / PTRS_PER_PTE);
	}
}

/*
 * The policy's periodic look at every page this host owns or reads. Runs
 * while the answering policy has a tick hook; a policy that gets one
 * starts it again (tick_restart()).
 */
static void tick_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(tick_work, tick_fn);
static struct morsel_pool *tick_pool;	/* set once at init */

static void tick_fn(struct work_struct *work)
{
	u32 ms = morsel_policy_tick_ms();
	struct morsel_overlay *ov;
	unsigned int i = 0;

	if (!ms)
		return;
	while (READ_ONCE(tick_pool->state) == MORSEL_POOL_ONLINE &&
	       (ov = morsel_overlay_next(&i))) {
		tick_overlay(ov);
		morsel_overlay_put(ov);
	}
	queue_delayed_work(system_unbound_wq, &tick_work, msecs_to_jiffies(ms));
}

static void tick_restart(void)
{
	if (morsel_policy_tick_ms())
		mod_delayed_work(system_unbound_wq, &tick_work, 0);
}

/**
 * morsel_writeback_init() - run the tick whenever a policy asks for one.
 * @p: the pool whose overlays it looks at.
 */
void morsel_writeback_init(struct morsel_pool *p)
{
	tick_pool = p;
	morsel_policy_on_change(tick_restart);
}
