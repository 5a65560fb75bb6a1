// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recalls: one host asks others to give up their access to a page, over
 * the channel (MORSEL_MSG_RECALL, served by this file's handler).
 *
 *   morsel_recall()        ask every host of a set at once, then await all
 *   recall_handle()        the answer on the other side: ask the policy,
 *                          maybe later (a parked request), then revoke
 *   recall_revoke()        unmap, and write back and release an owned page
 *                          or drop a read copy
 *   morsel_recover_dead()  take a page back from a host declared dead,
 *                          when a fault finds it there
 *   recall_sweep_dead()    take back everything a host that this host
 *                          declared dead held, and report the loss
 *
 * A host that does not answer within its lease is declared dead; its
 * pages return to their last written-back content (ownership.c).
 */
#include <linux/moduleparam.h>
#include <trace/events/morsel.h>
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/*
 * Ablation for benchmarks: ask the hosts of a recall one after another,
 * each answer awaited before the next host is asked, as a design without
 * split-phase requests would. Read once per recall.
 */
static bool serial_recalls;
module_param(serial_recalls, bool, 0644);
MODULE_PARM_DESC(serial_recalls, "benchmarks: send a recall's requests one at a time");

/*
 * Deferrals of recalls (a policy's and the minimum hold's), per requesting
 * host, summed over a lease period. A deferred recall is parked at the
 * head of its sender's ring, so the sender's later requests queue behind
 * it: their sum, not each one, must stay well inside the lease that the
 * sender waits for an answer. Handler thread only.
 */
static struct {
	unsigned long window;	/* jiffies: start of the period */
	u32 used_us;
} deferrals[MORSEL_MAX_HOSTS];

/*
 * Ask the policy how to answer a recall of a page this host owns: later
 * (each deferral at most a tenth of the lease, and all of one sender's in
 * a lease period as well), and whether to drop the read copy when a reader
 * asked. A page a write fault took a moment ago is held (hold.c) for what
 * is left of its window, within the same bounds. Sets *@defer_us to the
 * wait granted.
 */
static unsigned int recall_decision(struct morsel_overlay *ov, unsigned int src,
				    u64 page, unsigned int mode, u32 *defer_us)
{
	u32 bound = ov->pool->sb->lease_ms * 100, asked, held, d;
	struct morsel_policy_ctx ctx;

	*defer_us = 0;
	overlay_policy_ctx(ov, page, overlay_pages(ov), &ctx);
	if (!morsel_pte_owned_by(ctx.entry, ov->pool->host_id))
		return mode;	/* nothing of ours to decide about */
	ctx.peer = src;
	ctx.mode = mode;
	d = morsel_policy_recall(&ctx, bound, &asked);
	held = morsel_hold_left_us(ov, page);
	if (time_after(jiffies, deferrals[src].window +
		       msecs_to_jiffies(ov->pool->sb->lease_ms))) {
		deferrals[src].window = jiffies;
		deferrals[src].used_us = 0;
	}
	*defer_us = min(max(asked, held), bound - deferrals[src].used_us);
	deferrals[src].used_us += *defer_us;
	if (*defer_us && asked)
		morsel_policy_count_deferred(min(asked, *defer_us));
	if (*defer_us && held > asked)
		morsel_count(ov, MORSEL_CNT_HELD);
	return d == MORSEL_RECALL_GIVE_UP ? MORSEL_RECALL_INVALIDATE : mode;
}

/*
 * Give up access to a page on this host, as a recall asks: unmap it, then
 * drop the read copy (a reader), or write back and release (the owner). A
 * recall that no longer applies changes nothing. @ov is NULL when the
 * object is not open here. Context: the handler thread; takes ov->lock.
 */
static void recall_revoke(struct morsel_overlay *ov, struct morsel_pool *p,
			  unsigned int idx, u64 page, enum morsel_recall_mode mode)
{
	u64 e;

	if (ov)
		mutex_lock(&ov->lock);
	e = READ_ONCE(*morsel_obj_pte(p, idx, page));
	/*
	 * A reader recall comes from a host taking the page (BUSY of its
	 * own), so this host cannot own it then. If it does, the sender died
	 * with the recall queued and the page came here since (recovered,
	 * then taken): the recall is stale, and dropping the copy would lose
	 * this host's writes in stale-cache mode. Found by the Promela model
	 * with host failure (a draft, not yet in tests/ownership.pml).
	 */
	if (mode == MORSEL_RECALL_READER && morsel_pte_owned_by(e, p->host_id))
		goto out;
	if (ov)
		morsel_overlay_zap(ov, page);
	if (mode == MORSEL_RECALL_READER) {
		/* The acquirer owns the entry (BUSY); we only drop our copy. */
		if (ov && MORSEL_PTE_FRAME1(e))
			morsel_overlay_invalidate(ov, page, e);
	} else {
		morsel_release_page(p, ov, idx, page, mode == MORSEL_RECALL_DOWNGRADE ?
				    MORSEL_OWN_DOWNGRADE : 0);
	}
out:
	if (ov)
		mutex_unlock(&ov->lock);
}

/*
 * A downgrade for a host that maps the page's 2 MiB as one: the other
 * pages around it that this host holds exclusively are downgraded too, as
 * many as the policy says (the default: all of that 2 MiB), so that a
 * reader following a writer pays one recall per 2 MiB, not per page.
 * Context: the handler thread.
 */
static void recall_revoke_chunk(struct morsel_overlay *ov, struct morsel_pool *p,
				unsigned int idx, u64 page, unsigned int src)
{
	struct morsel_policy_ctx ctx;
	u64 q, end, e;
	u32 block;

	if (!ov)
		return;
	overlay_policy_ctx(ov, page, overlay_pages(ov), &ctx);
	ctx.peer = src;
	ctx.mode = MORSEL_RECALL_DOWNGRADE;
	block = morsel_policy_recall_block(&ctx);
	q = round_down(page, block);
	end = min(q + block, morsel_obj_max_pages(p));
	for (; q < end; q++) {
		e = READ_ONCE(*morsel_obj_pte(p, idx, q));
		if (q != page && MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE &&
		    MORSEL_PTE_OWNER(e) == p->host_id)
			recall_revoke(ov, p, idx, q, MORSEL_RECALL_DOWNGRADE);
	}
}

/*
 * MORSEL_MSG_RECALL: arg0 = directory index | generation << 32, arg1 =
 * page | mode << 56. A deferral parks the request with its mode as the
 * cookie; resumed, the mode decided then is applied. The policy decides
 * about the page asked for; a downgrade of it takes the chunk along if
 * asked. Context: the handler thread.
 */
static void recall_handle(struct morsel_pool *p, const struct morsel_msg *m,
			  struct morsel_answer *a)
{
	unsigned int idx = (u32)m->arg[0], mode = m->arg[1] >> 56, src = m->src;
	u64 page = m->arg[1] & GENMASK_ULL(55, 0);
	unsigned int chunk = mode & MORSEL_RECALL_CHUNK;
	struct morsel_overlay *ov;
	u32 defer_us = 0;

	mode &= ~MORSEL_RECALL_CHUNK;
	if (idx >= MORSEL_MAX_OBJECTS || page >= morsel_obj_max_pages(p) ||
	    mode > MORSEL_RECALL_READER || (chunk && mode != MORSEL_RECALL_DOWNGRADE) ||
	    src >= MORSEL_MAX_HOSTS) {
		a->result = -EINVAL;
		return;
	}
	ov = morsel_overlay_get(p, idx, m->arg[0] >> 32, false);
	/*
	 * Without an overlay, only the entry says whether the object asked
	 * about is still the one in the slot. If not (deleted, the slot maybe
	 * reused: a dead sender's recall queued that long), nothing of it is
	 * ours, and a page of the new object that we own must not be
	 * released by it: without our overlay its lines would not be written
	 * back first.
	 */
	if (!ov && READ_ONCE(morsel_obj_entry(p, idx)->gen) != (u32)(m->arg[0] >> 32))
		return;
	if (m->resumed) {
		mode = m->cookie & ~MORSEL_RECALL_CHUNK;
		chunk = m->cookie & MORSEL_RECALL_CHUNK;
	} else {
		trace_morsel_recall_handle(idx, page, src, p->host_id, mode, m->seq);
		if (ov && mode != MORSEL_RECALL_READER)
			mode = recall_decision(ov, src, page, mode, &defer_us);
	}
	if (defer_us) {
		a->park_ns = (u64)defer_us * NSEC_PER_USEC;
		a->cookie = mode | chunk;
	} else {
		if (ov && mode != MORSEL_RECALL_READER &&
		    morsel_pte_owned_by(READ_ONCE(*overlay_pte(ov, page)), p->host_id))
			morsel_kill_point(p, MORSEL_KILL_RECALL);
		recall_revoke(ov, p, idx, page, mode);
		if (chunk && mode == MORSEL_RECALL_DOWNGRADE)
			recall_revoke_chunk(ov, p, idx, page, src);
		if (ov) {
			morsel_count(ov, MORSEL_CNT_RECALLS_HANDLED);
			/* Maybe the last page of ours in that 2 MiB. */
			morsel_subtree_relink(ov, page / PTRS_PER_PTE);
		}
	}
	if (ov)
		morsel_overlay_put(ov);
}

/*
 * The outcome of one host's recall. A host that is gone has nothing to
 * give back; one that did not answer (or answered wrongly) keeps access
 * that cannot be taken back any other way: it is declared dead.
 */
static void recall_answered(struct morsel_pool *p, unsigned int h, u32 epoch, int err)
{
	if (!err || err == -EHOSTDOWN)
		return;
	pr_warn("morsel: host %u failed a recall (%d): declaring it dead\n", h, err);
	morsel_host_declare_dead(p, h, epoch);
}

/**
 * morsel_recall() - revoke a page on other hosts and wait for them.
 * @ov: this host's overlay of the object.
 * @hosts: bitmap of hosts to ask.
 * @page: page index.
 * @mode: enum morsel_recall_mode, DOWNGRADE possibly with MORSEL_RECALL_CHUNK.
 *
 * Every host is asked before any answer is awaited, so that several readers
 * revoke their copies at the same time: the wait is the slowest answer, not
 * the sum. A host that does not answer within its lease is declared dead; a
 * dead host is not asked. Either way its access is gone when this returns.
 *
 * Context: process context, no lock held; sleeps.
 * Return: 0, or -ENOTCONN if this host is no longer online.
 */
int morsel_recall(struct morsel_overlay *ov, u32 hosts, u64 page, unsigned int mode)
{
	struct morsel_pool *p = ov->pool;
	u64 arg[2] = { ov->idx | (u64)ov->gen << 32, page | (u64)mode << 56 }, ret[2];
	struct morsel_call calls[MORSEL_MAX_HOSTS];
	unsigned long h, mask = hosts, posted = 0;
	bool serial = READ_ONCE(serial_recalls);
	int err, offline = 0;

	for_each_set_bit(h, &mask, MORSEL_MAX_HOSTS) {
		if (h == p->host_id || !morsel_host_alive(p, h, NULL))
			continue;
		trace_morsel_recall_send(ov->idx, page, p->host_id, h, mode);
		morsel_count(ov, MORSEL_CNT_RECALLS_SENT);
		err = morsel_channel_post(p, h, MORSEL_MSG_RECALL, arg,
					  p->sb->lease_ms, false, &calls[h]);
		if (!err && !serial) {
			__set_bit(h, &posted);
			continue;
		}
		if (!err)
			err = morsel_channel_wait(p, &calls[h], ret);
		if (err == -ENOTCONN)
			offline = err;	/* no post: this host is not online */
		else
			recall_answered(p, h, calls[h].dst_epoch, err);
	}
	/* Every post is awaited, also after an error: each holds a slot. */
	for_each_set_bit(h, &posted, MORSEL_MAX_HOSTS)
		recall_answered(p, h, calls[h].dst_epoch,
				morsel_channel_wait(p, &calls[h], ret));
	return offline;
}

/* Pages whose dead exclusive owner this host took back (sysfs). */
static atomic64_t pages_recovered;

/**
 * morsel_pages_recovered() - pages this host returned to their last
 * written-back content because their exclusive owner died.
 *
 * Return: the count since boot.
 */
u64 morsel_pages_recovered(void)
{
	return atomic64_read(&pages_recovered);
}

/*
 * Forget the dead host @dead in a page's entry, if the entry is still @e,
 * the one whose hosts the caller judged. Returns 1 if the page was the
 * dead host's exclusively (whatever it wrote since its last write-back is
 * lost), 0 if it only read it or was taking it from the readers, negative
 * if the entry does not name it or changed.
 */
static int recover_entry(struct morsel_pool *p, unsigned int idx, u64 page,
			 unsigned int dead, u64 e)
{
	struct morsel_own_req req = { .host = dead, .expect = e };
	u64 old, new;

	if (morsel_pte_update(morsel_obj_pte(p, idx, page), morsel_own_host_failed,
			      &req, &old, &new))
		return -ESTALE;
	if (MORSEL_PTE_STATE(old) != MORSEL_PTE_EXCLUSIVE)
		return 0;
	atomic64_inc(&pages_recovered);
	trace_morsel_recovered(idx, page, dead);
	return 1;
}

/**
 * morsel_recover_dead() - take a page back from hosts declared dead.
 * @ov: this host's overlay of the object.
 * @page: page index.
 *
 * A dead owner's page returns to its last written-back content; a dead
 * reader leaves the reader set. Only once the dead host is fenced (it
 * unmapped everything, or had the time to).
 *
 * Context: process context.
 * Return: true if the entry changed.
 */
bool morsel_recover_dead(struct morsel_overlay *ov, u64 page)
{
	struct morsel_pool *p = ov->pool;
	u64 e = READ_ONCE(*overlay_pte(ov, page));
	unsigned long h, mask = MORSEL_PTE_READERS(e);

	/* Only the entry judged is replaced: its hosts may come back. */

	if (MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE ||
	    MORSEL_PTE_STATE(e) == MORSEL_PTE_BUSY)
		mask |= BIT(MORSEL_PTE_OWNER(e));
	for_each_set_bit(h, &mask, MORSEL_MAX_HOSTS) {
		if (h == p->host_id || morsel_host_alive(p, h, NULL) ||
		    !morsel_host_fenced(p, h))
			continue;
		if (recover_entry(p, ov->idx, page, h, e) >= 0)
			return true;
	}
	return false;
}

/*
 * A host that this host declared dead is fenced: take back everything it
 * held, not only what a fault happens to find. Its views and mappings go
 * (or a delete refuses the object forever), its read copies and its pages
 * are recovered, and the kernel log says per object how many pages
 * returned to their last written-back content. A host that joined again
 * meanwhile is left alone. Context: the heartbeat work (registry.c).
 */
static void recall_sweep_dead(struct morsel_pool *p, unsigned int dead)
{
	unsigned int idx, objects, locks;
	u64 all_owned = 0, all_other = 0;

	if (morsel_host_alive(p, dead, NULL))
		return;
	objects = morsel_dir_forget_host(p, dead, true);
	locks = morsel_filelock_forget_host(p, dead);
	for (idx = 0; idx < MORSEL_MAX_OBJECTS; idx++) {
		struct morsel_obj_entry *o = morsel_obj_entry(p, idx);
		u64 page, pages, owned = 0, other = 0;
		int r;

		if (READ_ONCE(o->state) != MORSEL_OBJ_LIVE)
			continue;
		if (morsel_host_alive(p, dead, NULL))
			return;	/* it joined again: what it holds is its own */
		pages = min(DIV_ROUND_UP(READ_ONCE(o->size), PAGE_SIZE),
			    morsel_obj_max_pages(p));
		for (page = 0; page < pages; page++) {
			u64 e = READ_ONCE(*morsel_obj_pte(p, idx, page));

			if (morsel_host_alive(p, dead, NULL))
				return;
			r = recover_entry(p, idx, page, dead, e);
			owned += r == 1;
			other += r == 0;
			if (!(page % 512))
				cond_resched();
		}
		if (owned || other)
			pr_warn("morsel: host %u is dead: object %u '%.*s': %llu pages returned to their last written-back content, %llu other entries freed of it\n",
				dead, idx, MORSEL_NAME_LEN, o->name, owned, other);
		all_owned += owned;
		all_other += other;
	}
	pr_warn("morsel: swept up after host %u: %u objects it had open or mapped, %llu pages returned to their last written-back content, %llu other entries freed of it, %u record locks released\n",
		dead, objects, all_owned, all_other, locks);
}

/**
 * morsel_recall_init() - serve recalls on this host, and sweep what the
 * hosts it declares dead leave behind.
 *
 * Return: 0 or a negative errno.
 */
int morsel_recall_init(void)
{
	morsel_registry_on_dead(recall_sweep_dead);
	return morsel_channel_register(MORSEL_MSG_RECALL, recall_handle);
}
