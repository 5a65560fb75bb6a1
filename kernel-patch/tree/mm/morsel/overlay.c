// SPDX-License-Identifier: GPL-2.0-only
/*
 * Overlays: this host's view of an object. One overlay per host per
 * object, shared by every file and mapping of the object on this host: an
 * inode of a private pseudo filesystem whose address_space collects all of
 * the host's PTEs of the object, so that revoking a page is one
 * unmap_mapping_range() (with its TLB shootdown over the host's CPUs).
 *
 * PTEs point at pool frames (or, in stale-cache mode, at host-local
 * shadows), read-only while the page is shared, writable while this host
 * owns it exclusively. Faults drive the ownership protocol of ownership.c.
 *
 * Locking: ov->lock serialises, on this host, installing a PTE against
 * revoking it. A fault re-checks the authoritative entry and inserts the
 * PTE under ov->lock; a recall takes ov->lock before it unmaps. No one
 * holds ov->lock while waiting for another host: the handler thread,
 * which serves recalls, must never wait for a fault that waits for a
 * remote host. Order: mmap_lock -> ov->lock -> i_mmap_rwsem -> PTL.
 */
#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <trace/events/morsel.h>
#include "internal.h"
#include "policy.h"

#define MORSEL_FS_MAGIC	0x4d4f5253	/* "MORS" */

/**
 * struct morsel_overlay - this host's overlay of one object.
 * @ref: files, the handler thread while it serves a recall, the table.
 * @lock: see the header comment.
 * @shadow: stale-cache mode: page index -> host-local shadow page.
 * @vmas: mappings of the overlay on this host (under overlays_lock).
 * @rcu: freed after a grace period: bpf_morsel_obj_counter() reads
 *	overlays[] without overlays_lock.
 */
struct morsel_overlay {
	struct kref ref;
	struct morsel_pool *pool;
	unsigned int idx;
	u32 gen;
	struct inode *inode;
	struct mutex lock;	/* see the header comment */
	struct xarray shadow;
	int vmas;
	struct morsel_obj_counters cnt;
	struct rcu_head rcu;
};

/* Host totals of the object counters, for sysfs. */
struct morsel_obj_counters morsel_host_counters;

static struct vfsmount *morsel_mnt;
/*
 * Protects overlays[] and every overlay's vmas and views/mapped bits.
 * Lock-free readers (policy kfuncs) load an entry under rcu_read_lock();
 * entries are published with a release store and freed with kfree_rcu().
 */
static DEFINE_MUTEX(overlays_lock);
static struct morsel_overlay *overlays[MORSEL_MAX_OBJECTS];

/* Count an event of an overlay and of the host. */
static void count(struct morsel_overlay *ov, size_t off)
{
	atomic64_inc((atomic64_t *)((char *)&ov->cnt + off));
	atomic64_inc((atomic64_t *)((char *)&morsel_host_counters + off));
}

#define COUNT(ov, field) count(ov, offsetof(struct morsel_obj_counters, field))

static struct morsel_obj_entry *obj_entry(struct morsel_overlay *ov)
{
	struct morsel_dir *d = morsel_pool_ptr(ov->pool, ov->pool->sb->dir_off);

	return &d->obj[ov->idx];
}

static bool overlay_live(struct morsel_overlay *ov)
{
	struct morsel_obj_entry *o = obj_entry(ov);

	return READ_ONCE(o->state) == MORSEL_OBJ_LIVE && READ_ONCE(o->gen) == ov->gen;
}

/* Pages of the object now (its size may change on any host). */
static u64 obj_pages(struct morsel_overlay *ov)
{
	return min(DIV_ROUND_UP(READ_ONCE(obj_entry(ov)->size), PAGE_SIZE),
		   morsel_obj_max_pages(ov->pool));
}

static bool owns(u64 e, u32 host)
{
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE && MORSEL_PTE_OWNER(e) == host;
}

static bool reads(u64 e, u32 host)
{
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED && (MORSEL_PTE_READERS(e) & BIT(host));
}

static void policy_ctx(struct morsel_overlay *ov, u64 page, u64 pages,
		       struct morsel_policy_ctx *c)
{
	*c = (struct morsel_policy_ctx){
		.obj = ov->idx,
		.page = page,
		.pages = pages,
		.entry = READ_ONCE(*morsel_obj_pte(ov->pool, ov->idx, page)),
	};
}

static void *frame_addr(struct morsel_pool *p, u64 e)
{
	return morsel_pool_ptr(p, p->sb->data_off +
			       ((MORSEL_PTE_FRAME1(e) - 1) << PAGE_SHIFT));
}

/* Unmap a page from every process of this host; flushes its TLB entries. */
static void overlay_zap(struct morsel_overlay *ov, u64 page)
{
	unmap_mapping_range(ov->inode->i_mapping, page << PAGE_SHIFT, PAGE_SIZE, 1);
	COUNT(ov, shootdowns);
	trace_morsel_shootdown(ov->idx, page, ov->pool->host_id);
}

/* Make the page's content ours to read: drop stale lines or shadows. */
static void overlay_invalidate(struct morsel_overlay *ov, u64 page, u64 e)
{
	if (morsel_stale_cache)
		morsel_shadow_drop(&ov->shadow, page);
	else
		morsel_cache_invalidate(frame_addr(ov->pool, e));
	COUNT(ov, invalidates);
	trace_morsel_invalidate(ov->idx, page, ov->pool->host_id);
}

/* Publish this host's writes to the pool before it gives up exclusivity. */
static void overlay_writeback(struct morsel_overlay *ov, u64 page, u64 e)
{
	u64 t0 = ktime_get_ns();

	if (morsel_stale_cache)
		morsel_shadow_writeback(&ov->shadow, page, frame_addr(ov->pool, e));
	else
		morsel_cache_writeback(frame_addr(ov->pool, e));
	COUNT(ov, writebacks);
	trace_morsel_writeback(ov->idx, page, ov->pool->host_id,
			       ktime_get_ns() - t0);
}

/**
 * morsel_overlay_revoke() - give up access to a page on this host.
 * @ov: the overlay, or NULL if the object is not open here.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index.
 * @mode: enum morsel_recall_mode.
 *
 * Context: the handler thread, or a local release; takes ov->lock.
 * Return: 0 (a recall that no longer applies is answered with 0 too).
 */
static int overlay_revoke(struct morsel_overlay *ov, struct morsel_pool *p,
			  unsigned int idx, u64 page, enum morsel_recall_mode mode)
{
	u64 *pte = morsel_obj_pte(p, idx, page);
	u64 e, new;

	if (ov)
		mutex_lock(&ov->lock);
	if (ov)
		overlay_zap(ov, page);
	e = READ_ONCE(*pte);
	if (mode == MORSEL_RECALL_READER) {
		/* The acquirer owns the entry (BUSY); we only drop our copy. */
		if (ov && MORSEL_PTE_FRAME1(e))
			overlay_invalidate(ov, page, e);
		goto out;
	}
	while (!morsel_own_release(e, p->host_id,
				   mode == MORSEL_RECALL_DOWNGRADE, &new)) {
		if (ov)
			overlay_writeback(ov, page, e);
		else
			morsel_cache_writeback(frame_addr(p, e));
		if (ov && mode == MORSEL_RECALL_INVALIDATE)
			overlay_invalidate(ov, page, e);
		if (pool_cmpxchg(pte, e, new) == e) {
			trace_morsel_release(idx, page, p->host_id,
					     mode == MORSEL_RECALL_DOWNGRADE, new);
			break;
		}
		e = READ_ONCE(*pte);
	}
out:
	if (ov)
		mutex_unlock(&ov->lock);
	return 0;
}

/* Called with overlays_lock held by kref_put_mutex(); drops it. */
static void overlay_release(struct kref *ref)
{
	struct morsel_overlay *ov = container_of(ref, struct morsel_overlay, ref);
	struct morsel_pool *p = ov->pool;
	u64 page, pages = morsel_obj_max_pages(p), e, new;

	if (overlays[ov->idx] == ov)
		WRITE_ONCE(overlays[ov->idx], NULL);
	mutex_unlock(&overlays_lock);

	/*
	 * Last reference on this host: give every page back, written back,
	 * so that no other host ever waits for us about this object.
	 */
	for (page = 0; overlay_live(ov) && page < pages; page++) {
		u64 *pte = morsel_obj_pte(p, ov->idx, page);

		for (e = READ_ONCE(*pte);; e = READ_ONCE(*pte)) {
			if (!morsel_own_release(e, p->host_id, false, &new))
				overlay_writeback(ov, page, e);
			else if (morsel_own_drop_reader(e, p->host_id, &new))
				break;
			if (pool_cmpxchg(pte, e, new) == e)
				break;
		}
		cond_resched();
	}
	if (overlay_live(ov))
		pool_and32(&obj_entry(ov)->views, ~BIT(p->host_id));
	if (morsel_stale_cache) {
		struct page *pg;
		unsigned long i;

		xa_for_each(&ov->shadow, i, pg)
			__free_page(pg);
	}
	xa_destroy(&ov->shadow);
	iput(ov->inode);
	kfree_rcu(ov, rcu);
}

/*
 * The last reference is dropped under overlays_lock, so a lookup never
 * finds an overlay on its way out; the release work runs after the lock.
 */
static void overlay_put(struct morsel_overlay *ov)
{
	kref_put_mutex(&ov->ref, overlay_release, &overlays_lock);
}

/* Look up this host's overlay of (idx, gen) and take a reference. */
static struct morsel_overlay *overlay_find(unsigned int idx, u32 gen)
{
	struct morsel_overlay *ov;

	mutex_lock(&overlays_lock);
	ov = overlays[idx];
	if (ov && ov->gen == gen && kref_get_unless_zero(&ov->ref)) {
		mutex_unlock(&overlays_lock);
		return ov;
	}
	mutex_unlock(&overlays_lock);
	return NULL;
}

/*
 * Deferrals of recalls, per requesting host, summed over a lease period. A
 * deferred recall is parked at the head of its sender's ring, so the
 * sender's later requests queue behind it: their sum, not each one, must
 * stay well inside the lease that the sender waits for an answer. The
 * decision taken before parking is applied on resumption. Handler thread
 * only.
 */
static struct {
	unsigned long window;	/* jiffies: start of the period */
	u32 used_us;
	u8 mode;		/* of the parked recall */
} deferrals[MORSEL_MAX_HOSTS];

/*
 * Ask the policy how to answer a recall of a page this host owns: later
 * (each deferral at most a tenth of the lease, and all of one sender's in
 * a lease period as well), and whether to drop the read copy when a reader
 * asked. Sets *@defer_us to the deferral granted.
 */
static unsigned int recall_decision(struct morsel_overlay *ov, unsigned int src,
				    u64 page, unsigned int mode, u32 *defer_us)
{
	u32 bound = ov->pool->sb->lease_ms * 100, d;
	struct morsel_policy_ctx ctx;

	*defer_us = 0;
	policy_ctx(ov, page, obj_pages(ov), &ctx);
	if (!owns(ctx.entry, ov->pool->host_id))
		return mode;	/* nothing of ours to decide about */
	ctx.peer = src;
	ctx.mode = mode;
	d = morsel_policy_recall(&ctx, bound, defer_us);
	if (time_after(jiffies, deferrals[src].window +
		       msecs_to_jiffies(ov->pool->sb->lease_ms))) {
		deferrals[src].window = jiffies;
		deferrals[src].used_us = 0;
	}
	*defer_us = min(*defer_us, bound - deferrals[src].used_us);
	if (*defer_us) {
		deferrals[src].used_us += *defer_us;
		morsel_policy_count_deferred();
	}
	return d == MORSEL_RECALL_GIVE_UP ? MORSEL_RECALL_INVALIDATE : mode;
}

/**
 * morsel_handle_recall() - serve MORSEL_MSG_RECALL (handler thread).
 * @p: the pool.
 * @src: the requesting host.
 * @obj: directory index | generation << 32.
 * @page_mode: page index | mode << 56.
 * @resumed: the recall was parked (deferred) and is now due.
 *
 * Return: 0, -EINPROGRESS when parked by a deferral, or -EINVAL for a
 * malformed request.
 */
int morsel_handle_recall(struct morsel_pool *p, unsigned int src, u64 obj,
			 u64 page_mode, bool resumed)
{
	unsigned int idx = (u32)obj, mode = page_mode >> 56;
	u64 page = page_mode & GENMASK_ULL(55, 0);
	struct morsel_overlay *ov;
	u32 defer_us = 0;
	int ret;

	if (idx >= MORSEL_MAX_OBJECTS || page >= morsel_obj_max_pages(p) ||
	    mode > MORSEL_RECALL_READER || src >= MORSEL_MAX_HOSTS)
		return -EINVAL;
	ov = overlay_find(idx, obj >> 32);
	if (resumed) {
		mode = deferrals[src].mode;
	} else {
		trace_morsel_recall_handle(idx, page, src, p->host_id, mode);
		if (ov && mode != MORSEL_RECALL_READER)
			mode = recall_decision(ov, src, page, mode, &defer_us);
	}
	if (defer_us) {
		deferrals[src].mode = mode;
		ret = morsel_channel_park(p, src, (u64)defer_us * NSEC_PER_USEC);
	} else {
		ret = overlay_revoke(ov, p, idx, page, mode);
	}
	if (ov) {
		if (!defer_us)
			COUNT(ov, recalls_handled);
		overlay_put(ov);
	}
	return ret;
}

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
 * @p: the pool.
 * @hosts: bitmap of hosts to ask.
 * @idx: directory index.
 * @gen: object generation.
 * @page: page index.
 * @mode: enum morsel_recall_mode.
 *
 * Every host is asked before any answer is awaited, so that several readers
 * revoke their copies at the same time: the wait is the slowest answer, not
 * the sum. A host that does not answer within its lease is declared dead; a
 * dead host is not asked. Either way its access is gone when this returns.
 *
 * Return: 0, or -ENOTCONN if this host is no longer online.
 */
int morsel_recall(struct morsel_pool *p, u32 hosts, unsigned int idx,
		  u32 gen, u64 page, enum morsel_recall_mode mode)
{
	u64 arg[2] = { idx | (u64)gen << 32, page | (u64)mode << 56 }, ret[2];
	struct morsel_call calls[MORSEL_MAX_HOSTS];
	unsigned long h, mask = hosts, posted = 0;
	bool serial = READ_ONCE(serial_recalls);
	int err, offline = 0;

	for_each_set_bit(h, &mask, MORSEL_MAX_HOSTS) {
		if (h == p->host_id || !morsel_host_alive(p, h, NULL))
			continue;
		trace_morsel_recall_send(idx, page, p->host_id, h, mode);
		atomic64_inc(&morsel_host_counters.recalls_sent);
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

/* Recover an entry that names a dead host; true if it changed. */
static bool recover_dead(struct morsel_pool *p, u64 *pte, u64 e)
{
	unsigned long h, mask = MORSEL_PTE_READERS(e);
	u64 new;

	if (MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE ||
	    MORSEL_PTE_STATE(e) == MORSEL_PTE_BUSY)
		mask |= BIT(MORSEL_PTE_OWNER(e));
	for_each_set_bit(h, &mask, MORSEL_MAX_HOSTS) {
		if (h == p->host_id || morsel_host_alive(p, h, NULL) ||
		    !morsel_host_fenced(p, h))
			continue;
		if (!morsel_own_host_failed(e, h, &new) && pool_cmpxchg(pte, e, new) == e)
			return true;
	}
	return false;
}

/**
 * overlay_acquire() - run the protocol until this host may access a page.
 * @ov: the overlay.
 * @page: page index.
 * @write: exclusive access wanted.
 * @grant: a page the policy asked for beside the faulting one: only if no
 *	other host owns it and no transition is in flight (readers are
 *	revoked); the faulting page is mapped already and must not wait.
 * @e: the entry that grants it.
 *
 * Return: 0 with ov->lock held, or a negative errno without it
 * (-ESTALE: object deleted; -ENOSPC: no frame; -ETIMEDOUT: no progress
 * within the bound; -ENOTCONN: this host is not online; -EAGAIN: a grant
 * that is not to be had now).
 */
static int overlay_acquire(struct morsel_overlay *ov, u64 page, bool write,
			   bool grant, u64 *e)
{
	struct morsel_pool *p = ov->pool;
	unsigned long deadline = jiffies + msecs_to_jiffies(4 * p->sb->lease_ms);
	u64 *pte = morsel_obj_pte(p, ov->idx, page), old, new;
	bool was_reader;
	u32 target;
	s64 frame;
	int err;

	for (;;) {
		if (!overlay_live(ov))
			return -ESTALE;
		if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
			return -ENOTCONN;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (fatal_signal_pending(current))
			return -EINTR;
		mutex_lock(&ov->lock);
		old = READ_ONCE(*pte);
		if (grant && page >= obj_pages(ov)) {
			mutex_unlock(&ov->lock);
			return -EAGAIN;	/* shrunk since the fault began */
		}
		switch (morsel_own_fault(old, p->host_id, write, &new, &target)) {
		case MORSEL_OWN_GRANTED:
			if (new != old && pool_cmpxchg(pte, old, new) != old)
				break;
			if (new != old)
				trace_morsel_acquire(ov->idx, page, p->host_id, old, new);
			if (!(MORSEL_PTE_READERS(old) & BIT(p->host_id)) &&
			    !(MORSEL_PTE_STATE(old) == MORSEL_PTE_EXCLUSIVE &&
			      MORSEL_PTE_OWNER(old) == p->host_id)) {
				/* Any old copy is stale: unmap it, then drop it. */
				overlay_zap(ov, page);
				overlay_invalidate(ov, page, new);
			}
			*e = new;
			return 0;	/* with ov->lock */
		case MORSEL_OWN_NEED_FRAME:
			mutex_unlock(&ov->lock);
			frame = morsel_frame_alloc(p);
			if (frame < 0)
				return frame;
			new = morsel_own_fill(old, frame, p->host_id, write);
			memset(frame_addr(p, new), 0, PAGE_SIZE);
			morsel_cache_writeback(frame_addr(p, new));
			if (pool_cmpxchg(pte, old, new) != old)
				morsel_frame_free(p, frame);
			else
				trace_morsel_acquire(ov->idx, page, p->host_id, old, new);
			continue;
		case MORSEL_OWN_RECALL:
			mutex_unlock(&ov->lock);
			if (grant)
				return -EAGAIN;	/* another host's writer keeps it */
			if (recover_dead(p, pte, old))
				continue;
			if (!morsel_host_alive(p, target, NULL)) {
				/* Gone, but not yet fenced: wait for it. */
				usleep_range(100, 1000);
				continue;
			}
			COUNT(ov, recalls_sent);
			if (write)
				COUNT(ov, transfers);
			err = morsel_recall(p, BIT(target), ov->idx, ov->gen, page,
					    write ? MORSEL_RECALL_INVALIDATE :
						    MORSEL_RECALL_DOWNGRADE);
			if (err)
				return err;
			continue;
		case MORSEL_OWN_INVALIDATE:
			if (pool_cmpxchg(pte, old, new) != old)
				break;
			was_reader = MORSEL_PTE_READERS(old) & BIT(p->host_id);
			mutex_unlock(&ov->lock);
			COUNT(ov, recalls_sent);
			COUNT(ov, transfers);
			morsel_recall(p, target, ov->idx, ov->gen, page,
				      MORSEL_RECALL_READER);
			/* Only we change a BUSY entry of ours. */
			old = READ_ONCE(*pte);
			if (!morsel_own_busy_done(old, p->host_id, &new) &&
			    pool_cmpxchg(pte, old, new) == old) {
				trace_morsel_acquire(ov->idx, page, p->host_id, old, new);
				/* Without a copy of ours, ours may be stale. */
				if (!was_reader) {
					mutex_lock(&ov->lock);
					overlay_zap(ov, page);
					overlay_invalidate(ov, page, new);
					mutex_unlock(&ov->lock);
				}
			}
			continue;
		case MORSEL_OWN_WAIT:
			mutex_unlock(&ov->lock);
			if (grant)
				return -EAGAIN;
			if (!recover_dead(p, pte, old))
				usleep_range(20, 100);
			continue;
		}
		mutex_unlock(&ov->lock);	/* lost a cmpxchg race: retry */
	}
}

/* Map a page that overlay_acquire() granted; drops ov->lock. */
static vm_fault_t overlay_map(struct morsel_overlay *ov, struct vm_area_struct *vma,
			      unsigned long addr, u64 page, u64 e)
{
	struct morsel_pool *p = ov->pool;
	unsigned long pfn;
	vm_fault_t ret;

	if (morsel_stale_cache) {
		struct page *pg = morsel_shadow_get(&ov->shadow, page, frame_addr(p, e));

		if (!pg) {
			mutex_unlock(&ov->lock);
			return VM_FAULT_OOM;
		}
		pfn = page_to_pfn(pg);
	} else {
		pfn = PHYS_PFN(p->phys + p->sb->data_off) + MORSEL_PTE_FRAME1(e) - 1;
	}
	/* Writable only while the entry says this host owns the page. */
	if (MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE)
		ret = vmf_insert_mixed_mkwrite(vma, addr, pfn_to_pfn_t(pfn));
	else
		ret = vmf_insert_mixed(vma, addr, pfn_to_pfn_t(pfn));
	mutex_unlock(&ov->lock);
	return ret;
}

/*
 * Take the pages after a write-faulted one as well, as many as the policy
 * asks (a hint: stop at the first that another host's writer holds or
 * that is in transition; readers are revoked).
 */
static void overlay_grant(struct morsel_overlay *ov, struct vm_area_struct *vma,
			  unsigned long addr, u64 page, u64 pages)
{
	u64 room = min(pages - 1 - page, (vma->vm_end - addr) / PAGE_SIZE - 1);
	struct morsel_policy_ctx ctx;
	u64 i, n, e;

	if (!room)
		return;	/* last page of the object or mapping: nothing to ask */
	policy_ctx(ov, page, pages, &ctx);
	n = morsel_policy_write_fault(&ctx, room);
	for (i = 1; i <= n; i++) {
		if (owns(READ_ONCE(*morsel_obj_pte(ov->pool, ov->idx, page + i)),
			 ov->pool->host_id))
			continue;
		if (overlay_acquire(ov, page + i, true, true, &e))
			break;
		if (overlay_map(ov, vma, addr + i * PAGE_SIZE, page + i, e) & VM_FAULT_ERROR)
			break;
		morsel_policy_count_granted(1);
	}
}

static vm_fault_t overlay_fault_common(struct vm_fault *vmf, bool write)
{
	struct morsel_overlay *ov = vmf->vma->vm_file->private_data;
	struct morsel_pool *p = ov->pool;
	u64 page = vmf->pgoff, pages = obj_pages(ov), e, t0 = ktime_get_ns();
	struct morsel_policy_ctx ctx;
	bool take = write;
	vm_fault_t ret;
	int err;

	if (page >= pages)
		return VM_FAULT_SIGBUS;
	if (write) {
		COUNT(ov, write_faults);
	} else {
		COUNT(ov, read_faults);
		policy_ctx(ov, page, pages, &ctx);
		/* Only where this host could write it: no writable PTE otherwise. */
		take = morsel_policy_read_fault(&ctx) == MORSEL_READ_EXCLUSIVE &&
		       (vmf->vma->vm_flags & VM_WRITE);
	}
	err = overlay_acquire(ov, page, take, false, &e);
	if (err) {
		pr_warn_ratelimited("morsel: fault on object %u page %llu failed: %d\n",
				    ov->idx, page, err);
		trace_morsel_fault(ov->idx, page, p->host_id, write, err,
				   ktime_get_ns() - t0);
		return VM_FAULT_SIGBUS;	/* also for a full data region */
	}
	ret = overlay_map(ov, vmf->vma, vmf->address, page, e);
	if (write && !(ret & VM_FAULT_ERROR))
		overlay_grant(ov, vmf->vma, vmf->address, page, pages);
	trace_morsel_fault(ov->idx, page, p->host_id, write, 0, ktime_get_ns() - t0);
	return ret;
}

static vm_fault_t overlay_fault(struct vm_fault *vmf)
{
	return overlay_fault_common(vmf, vmf->flags & FAULT_FLAG_WRITE);
}

/* A write to a page mapped read-only: the upgrade to exclusive. */
static vm_fault_t overlay_pfn_mkwrite(struct vm_fault *vmf)
{
	vm_fault_t ret = overlay_fault_common(vmf, true);

	/* The PTE is installed; tell the core not to touch it again. */
	return ret & VM_FAULT_ERROR ? ret : VM_FAULT_NOPAGE;
}

static void set_mapped(struct morsel_overlay *ov, int delta)
{
	mutex_lock(&overlays_lock);
	ov->vmas += delta;
	if (overlay_live(ov)) {
		if (ov->vmas)
			pool_or32(&obj_entry(ov)->mapped, BIT(ov->pool->host_id));
		else
			pool_and32(&obj_entry(ov)->mapped, ~BIT(ov->pool->host_id));
	}
	mutex_unlock(&overlays_lock);
}

static void overlay_vm_open(struct vm_area_struct *vma)
{
	set_mapped(vma->vm_file->private_data, 1);
}

static void overlay_vm_close(struct vm_area_struct *vma)
{
	set_mapped(vma->vm_file->private_data, -1);
}

static const struct vm_operations_struct overlay_vm_ops = {
	.open = overlay_vm_open,
	.close = overlay_vm_close,
	.fault = overlay_fault,
	.pfn_mkwrite = overlay_pfn_mkwrite,
};

/*
 * Reader self-invalidation: unmap, leave the reader set, drop the copy.
 * The copy goes with the membership: nobody recalls a non-reader, so a
 * copy kept past this point could be mapped again as if current (e.g. after
 * another host punched the page and this host took a fresh frame for it).
 */
static void overlay_drop_copy(struct morsel_overlay *ov, u64 page)
{
	u64 *pte = morsel_obj_pte(ov->pool, ov->idx, page), e, new;

	mutex_lock(&ov->lock);
	overlay_zap(ov, page);
	for (e = READ_ONCE(*pte); !morsel_own_drop_reader(e, ov->pool->host_id, &new);
	     e = READ_ONCE(*pte)) {
		if (pool_cmpxchg(pte, e, new) == e) {
			overlay_invalidate(ov, page, e);
			break;
		}
	}
	mutex_unlock(&ov->lock);
}

/* Act on a release or tick decision about a page this host owns or reads. */
static void overlay_hold(struct morsel_overlay *ov, u64 page, u32 decision)
{
	struct morsel_pool *p = ov->pool;
	u64 *pte = morsel_obj_pte(p, ov->idx, page), e;

	switch (decision) {
	case MORSEL_HOLD_WRITEBACK:
		mutex_lock(&ov->lock);
		e = READ_ONCE(*pte);
		if (owns(e, p->host_id))
			overlay_writeback(ov, page, e);
		mutex_unlock(&ov->lock);
		break;
	case MORSEL_HOLD_RELEASE:
		if (owns(READ_ONCE(*pte), p->host_id))
			overlay_revoke(ov, p, ov->idx, page, MORSEL_RECALL_DOWNGRADE);
		else
			overlay_drop_copy(ov, page);
		break;
	}
}

/*
 * msync(MS_SYNC) and fsync(): a release point of the application. The
 * policy says, per page this host owns in the range, whether to write it
 * back now and whether to stay its owner; the default keeps it (lazy:
 * written back when recalled).
 */
static int overlay_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	struct morsel_policy_ctx ctx;
	u64 page, last, pages;

	if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	if (!overlay_live(ov))
		return -ESTALE;
	pages = obj_pages(ov);
	if (start < 0 || end < start || !pages || (u64)start >= pages << PAGE_SHIFT)
		return 0;
	last = min_t(u64, (u64)end >> PAGE_SHIFT, pages - 1);
	for (page = (u64)start >> PAGE_SHIFT; page <= last; page++) {
		if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
			return -ENOTCONN;	/* fenced: its pages are not ours */
		if (!owns(READ_ONCE(*morsel_obj_pte(p, ov->idx, page)), p->host_id))
			continue;
		policy_ctx(ov, page, pages, &ctx);
		overlay_hold(ov, page, morsel_policy_release(&ctx));
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static void overlay_tick(struct morsel_overlay *ov)
{
	struct morsel_pool *p = ov->pool;
	u64 page, pages = obj_pages(ov), e;
	struct morsel_policy_ctx ctx;

	for (page = 0; page < pages && overlay_live(ov); page++) {
		if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
			return;
		e = READ_ONCE(*morsel_obj_pte(p, ov->idx, page));
		if (!owns(e, p->host_id) && !reads(e, p->host_id))
			continue;
		policy_ctx(ov, page, pages, &ctx);
		overlay_hold(ov, page, morsel_policy_tick(&ctx));
		cond_resched();
	}
}

/**
 * morsel_overlays_tick() - the policy's periodic look at every page this
 * host owns or reads (policy.c's tick work).
 */
void morsel_overlays_tick(void)
{
	struct morsel_overlay *ov;
	unsigned int i;

	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		mutex_lock(&overlays_lock);
		ov = overlays[i];
		if (ov && !kref_get_unless_zero(&ov->ref))
			ov = NULL;
		mutex_unlock(&overlays_lock);
		if (!ov)
			continue;
		overlay_tick(ov);
		overlay_put(ov);
	}
}

/**
 * morsel_overlay_counter() - one counter of this host's overlay of an object.
 * @idx: directory index.
 * @which: enum morsel_obj_counter.
 *
 * Context: any; lock-free (see overlays_lock).
 * Return: the counter, or 0 without an overlay.
 */
u64 morsel_overlay_counter(unsigned int idx, unsigned int which)
{
	struct morsel_overlay *ov;
	u64 v = 0;

	BUILD_BUG_ON(sizeof(struct morsel_obj_counters) !=
		     MORSEL_CNT_NR * sizeof(atomic64_t));
	rcu_read_lock();
	ov = READ_ONCE(overlays[idx]);
	if (ov)
		v = atomic64_read((atomic64_t *)&ov->cnt + which);
	rcu_read_unlock();
	return v;
}

static int overlay_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	int err = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;	/* copy-on-write of pool pages: not offered */
	if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	/* Under the directory lock, so that a delete sees this mapping. */
	morsel_dir_lock(p);
	if (!overlay_live(ov)) {
		err = -ESTALE;
	} else {
		vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &overlay_vm_ops;
		set_mapped(ov, 1);
	}
	morsel_dir_unlock(p);
	return err;
}

static int overlay_file_release(struct inode *inode, struct file *file)
{
	overlay_put(file->private_data);
	return 0;
}

static const struct file_operations overlay_fops = {
	.owner = THIS_MODULE,
	.mmap = overlay_mmap,
	.release = overlay_file_release,
	.fsync = overlay_fsync,
	.unlocked_ioctl = morsel_obj_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * morsel_obj_open_fd() - open (idx, gen) on this host: a new file of its
 * overlay, creating the overlay on the first open.
 * @p: the pool, online.
 * @idx: directory index.
 * @gen: generation the caller found.
 *
 * Return: a file descriptor, or a negative errno.
 */
int morsel_obj_open_fd(struct morsel_pool *p, unsigned int idx, u32 gen)
{
	struct morsel_overlay *ov, *fresh = NULL;
	struct file *file;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	ov = overlay_find(idx, gen);
	if (!ov) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
		err = -ENOMEM;
		if (!fresh)
			goto put_fd;
		fresh->inode = alloc_anon_inode(morsel_mnt->mnt_sb);
		if (IS_ERR(fresh->inode)) {
			err = PTR_ERR(fresh->inode);
			kfree(fresh);
			goto put_fd;
		}
		kref_init(&fresh->ref);
		fresh->pool = p;
		fresh->idx = idx;
		fresh->gen = gen;
		mutex_init(&fresh->lock);
		xa_init(&fresh->shadow);
		mutex_lock(&overlays_lock);
		ov = overlays[idx];
		if (ov && ov->gen == gen && kref_get_unless_zero(&ov->ref)) {
			/* Another open of this host won the race. */
			mutex_unlock(&overlays_lock);
			iput(fresh->inode);
			kfree(fresh);
		} else if (!overlay_live(fresh)) {
			mutex_unlock(&overlays_lock);
			iput(fresh->inode);
			kfree(fresh);
			err = -ESTALE;	/* deleted since the lookup */
			goto put_fd;
		} else {
			/* Replace only an overlay of a deleted generation. */
			smp_store_release(&overlays[idx], fresh);
			pool_or32(&obj_entry(fresh)->views, BIT(p->host_id));
			mutex_unlock(&overlays_lock);
			ov = fresh;
		}
	}
	ihold(ov->inode);
	file = alloc_file_pseudo(ov->inode, morsel_mnt, "[morsel]", O_RDWR,
				 &overlay_fops);
	if (IS_ERR(file)) {
		iput(ov->inode);
		overlay_put(ov);
		err = PTR_ERR(file);
		goto put_fd;
	}
	file->private_data = ov;
	fd_install(fd, file);
	return fd;
put_fd:
	put_unused_fd(fd);
	return err;
}

static int obj_punch(struct morsel_overlay *ov, u64 first, u64 count)
{
	struct morsel_pool *p = ov->pool;
	u64 page, e, new;
	int err;

	for (page = first; page < first + count; page++) {
		u64 *pte = morsel_obj_pte(p, ov->idx, page);

		if (!MORSEL_PTE_FRAME1(READ_ONCE(*pte)))
			continue;
		err = overlay_acquire(ov, page, true, false, &e);	/* with ov->lock */
		if (err)
			return err;
		overlay_zap(ov, page);
		if (morsel_stale_cache)
			morsel_shadow_drop(&ov->shadow, page);
		e = READ_ONCE(*pte);
		if (!morsel_own_punch(e, p->host_id, &new) && pool_cmpxchg(pte, e, new) == e) {
			/* No dirty line of ours may land in the next owner's data. */
			morsel_cache_invalidate(frame_addr(p, e));
			morsel_frame_free(p, MORSEL_PTE_FRAME1(e) - 1);
		}
		mutex_unlock(&ov->lock);
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

static long obj_stat(struct morsel_overlay *ov, void __user *uarg)
{
	struct morsel_pool *p = ov->pool;
	struct morsel_obj_entry *o = obj_entry(ov);
	struct morsel_obj_stat st = {};
	u64 page, pages;

	st.size = READ_ONCE(o->size);
	st.max_size = morsel_obj_max_pages(p) << PAGE_SHIFT;
	st.index = ov->idx;
	st.gen = ov->gen;
	st.views = READ_ONCE(o->views);
	st.mapped = READ_ONCE(o->mapped);
	pages = DIV_ROUND_UP(st.size, PAGE_SIZE);
	for (page = 0; page < pages; page++) {
		u64 e = READ_ONCE(*morsel_obj_pte(p, ov->idx, page));

		st.pages_present += !!MORSEL_PTE_FRAME1(e);
		st.pages_exclusive += MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE;
		st.pages_shared += MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED;
	}
	st.read_faults = atomic64_read(&ov->cnt.read_faults);
	st.write_faults = atomic64_read(&ov->cnt.write_faults);
	st.transfers = atomic64_read(&ov->cnt.transfers);
	st.recalls_sent = atomic64_read(&ov->cnt.recalls_sent);
	st.recalls_handled = atomic64_read(&ov->cnt.recalls_handled);
	st.writebacks = atomic64_read(&ov->cnt.writebacks);
	st.invalidates = atomic64_read(&ov->cnt.invalidates);
	st.shootdowns = atomic64_read(&ov->cnt.shootdowns);
	if (!overlay_live(ov))
		return -ESTALE;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long obj_entries(struct morsel_overlay *ov, void __user *uarg)
{
	struct morsel_pool *p = ov->pool;
	struct morsel_entries req;
	u64 __user *out;
	u64 i;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.first >= morsel_obj_max_pages(p) ||
	    req.count > morsel_obj_max_pages(p) - req.first)
		return -EINVAL;
	out = u64_to_user_ptr(req.entries);
	for (i = 0; i < req.count; i++)
		if (put_user(READ_ONCE(*morsel_obj_pte(p, ov->idx, req.first + i)),
			     &out[i]))
			return -EFAULT;
	return overlay_live(ov) ? 0 : -ESTALE;
}

static long obj_resize(struct morsel_overlay *ov, u64 __user *uarg)
{
	struct morsel_pool *p = ov->pool;
	u64 size, old, keep;
	int err;

	if (get_user(size, uarg))
		return -EFAULT;
	if (!size)
		return -EINVAL;
	if (size > morsel_obj_max_pages(p) << PAGE_SHIFT)
		return -EFBIG;
	morsel_dir_lock(p);
	old = READ_ONCE(obj_entry(ov)->size);
	/* Shrinking: new faults beyond @size fail before the tail goes. */
	WRITE_ONCE(obj_entry(ov)->size, size);
	morsel_dir_unlock(p);
	keep = DIV_ROUND_UP(size, PAGE_SIZE);
	if (size >= old)
		return 0;
	err = obj_punch(ov, keep, DIV_ROUND_UP(old, PAGE_SIZE) - keep);
	return err;
}

/**
 * morsel_obj_ioctl() - ioctls of an object fd.
 * @file: the object file.
 * @cmd: MORSEL_OBJ_*.
 * @arg: user argument.
 *
 * Return: 0 or a negative errno.
 */
long morsel_obj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct morsel_overlay *ov = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct morsel_punch req;
	u64 size;

	if (READ_ONCE(ov->pool->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	if (!overlay_live(ov))
		return -ESTALE;
	switch (cmd) {
	case MORSEL_OBJ_STAT:
		return obj_stat(ov, uarg);
	case MORSEL_OBJ_ENTRIES:
		return obj_entries(ov, uarg);
	case MORSEL_OBJ_RESIZE:
		return obj_resize(ov, uarg);
	case MORSEL_OBJ_PUNCH:
		if (copy_from_user(&req, uarg, sizeof(req)))
			return -EFAULT;
		size = READ_ONCE(obj_entry(ov)->size);
		if (!req.len || !PAGE_ALIGNED(req.offset | req.len) ||
		    req.offset >= size || req.len > ALIGN(size, PAGE_SIZE) - req.offset)
			return -EINVAL;
		return obj_punch(ov, req.offset >> PAGE_SHIFT, req.len >> PAGE_SHIFT);
	default:
		return -ENOTTY;
	}
}

/**
 * morsel_overlays_fence() - this host was declared dead: unmap everything.
 *
 * Its pages now belong to the survivors; no process here may touch them.
 */
void morsel_overlays_fence(void)
{
	unsigned int i;

	mutex_lock(&overlays_lock);
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++)
		if (overlays[i])
			unmap_mapping_range(overlays[i]->inode->i_mapping, 0, 0, 1);
	mutex_unlock(&overlays_lock);
}

/**
 * morsel_overlays_show() - this host's overlays and their counters.
 * @m: the seq_file of /sys/kernel/debug/morsel/objects.
 *
 * Return: 0.
 */
int morsel_overlays_show(struct seq_file *m)
{
	unsigned int i;

	seq_puts(m, "index gen name read_faults write_faults transfers recalls_sent recalls_handled writebacks invalidates shootdowns\n");
	mutex_lock(&overlays_lock);
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		struct morsel_overlay *ov = overlays[i];
		struct morsel_obj_counters *c;

		if (!ov || !overlay_live(ov))
			continue;
		c = &ov->cnt;
		seq_printf(m, "%u %u %.*s %lld %lld %lld %lld %lld %lld %lld %lld\n",
			   i, ov->gen, MORSEL_NAME_LEN, obj_entry(ov)->name,
			   atomic64_read(&c->read_faults), atomic64_read(&c->write_faults),
			   atomic64_read(&c->transfers), atomic64_read(&c->recalls_sent),
			   atomic64_read(&c->recalls_handled), atomic64_read(&c->writebacks),
			   atomic64_read(&c->invalidates), atomic64_read(&c->shootdowns));
	}
	mutex_unlock(&overlays_lock);
	return 0;
}

static int morsel_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MORSEL_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type morsel_fs_type = {
	.name = "morsel",
	.init_fs_context = morsel_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * morsel_overlay_init() - mount the pseudo filesystem of overlay inodes.
 *
 * Return: 0 or a negative errno.
 */
int morsel_overlay_init(void)
{
	morsel_mnt = kern_mount(&morsel_fs_type);
	return PTR_ERR_OR_ZERO(morsel_mnt);
}
