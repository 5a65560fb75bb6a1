// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault path of an overlay, in the manner of mm/memory.c. A fault asks
 * for an access (enum morsel_access); morsel_acquire() applies the fault
 * transition of ownership.c to the page's entry and hands what it says to
 * one function per protocol case:
 *
 *   GRANTED     acquire_granted()       the entry allows it: map the page
 *   NEED_FRAME  acquire_fill()          first touch: a zeroed frame
 *   RECALL      acquire_from_owner()    another host writes it: recall
 *   INVALIDATE  acquire_from_readers()  BUSY installed: revoke the readers
 *   WAIT        acquire_wait()          another host is in transition
 *
 * Every case but GRANTED returns to the dispatcher, which looks at the
 * entry again, until the access is granted or four leases have passed.
 * Reads of a shared page and writes to an owned one are granted at once;
 * the write fault of a page may take the pages after it too, as many as
 * the policy asks (fault_grant()).
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pfn_t.h>
#include <linux/sched/signal.h>
#include <trace/events/morsel.h>
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/* Tests: how long a first touch waits between its frame and its entry. */
static unsigned int fill_delay_ms;
module_param(fill_delay_ms, uint, 0644);
MODULE_PARM_DESC(fill_delay_ms, "tests: delay a first touch by this many ms before it enters its frame");

/*
 * The entry grants the access and is installed. Context: ov->lock held,
 * and kept: the caller maps the page under it (fault_map()).
 */
static int acquire_granted(struct morsel_overlay *ov, u64 page, u64 old, u64 new,
			   struct morsel_grant *g)
{
	u32 host = ov->pool->host_id;

	if (new != old)
		trace_morsel_acquire(ov->idx, page, host, old, new);
	if (!morsel_pte_read_by(old, host) && !morsel_pte_owned_by(old, host)) {
		/* Any old copy of ours is stale: unmap it, then drop it. */
		morsel_overlay_zap(ov, page);
		morsel_overlay_invalidate(ov, page, new);
	}
	g->entry = new;
	return 0;
}

/*
 * First touch: give the page a zeroed frame, shared with or owned by this
 * host as asked. A host that filled it first wins; our frame goes back.
 * A shared page is filled exclusive, published in the pool's table, then
 * shared: only a holder publishes (pooltable.c). Context: no lock held;
 * may sleep.
 */
static int acquire_fill(struct morsel_overlay *ov, u64 page, struct morsel_own_req *req)
{
	struct morsel_own_req fill = *req, me = overlay_req(ov, MORSEL_OWN_DOWNGRADE);
	struct morsel_pool *p = ov->pool;
	u64 *pte = overlay_pte(ov, page), old, new;
	s64 frame = morsel_frame_alloc(p);

	if (frame < 0)
		return frame;	/* -ENOSPC: the data region is full */
	morsel_kill_point(p, MORSEL_KILL_FRAME);
	if (READ_ONCE(fill_delay_ms))
		msleep(min(READ_ONCE(fill_delay_ms), 10000U));
	memset(morsel_frame_ptr(p, frame), 0, PAGE_SIZE);
	morsel_cache_writeback(morsel_frame_ptr(p, frame));
	fill.frame = frame;
	fill.flags |= MORSEL_OWN_WRITE;
	if (morsel_pte_update(pte, morsel_own_fill, &fill, &old, &new)) {
		morsel_frame_free(p, frame);
		return 0;
	}
	trace_morsel_acquire(ov->idx, page, p->host_id, old, new);
	if (overlay_dsm(ov)) {
		mutex_lock(&ov->lock);
		morsel_copy_fresh(ov, page);
		mutex_unlock(&ov->lock);
	}
	if (!(req->flags & MORSEL_OWN_WRITE)) {
		me.expect = new;
		if (!morsel_pooltable_release(p, ov->idx, page, morsel_own_release, &me,
					      &old, &new))
			trace_morsel_release(ov->idx, page, me.host, true, new);
	}
	return 0;
}

/*
 * Another host owns the page exclusively: recall it (a reader asks for a
 * downgrade, a writer for all of it), or recover it if that host is dead.
 * A grant never recalls. Context: no lock held; may sleep.
 */
static int acquire_from_owner(struct morsel_overlay *ov, u64 page,
			      enum morsel_access access, u64 old, struct morsel_grant *g)
{
	struct morsel_pool *p = ov->pool;
	u32 owner = MORSEL_PTE_OWNER(old);

	if (access == MORSEL_ACCESS_GRANT)
		return -EAGAIN;	/* another host's writer keeps it */
	if (morsel_recover_dead(ov, page))
		return 0;
	if (!morsel_host_alive(p, owner, NULL)) {
		/* Gone, but not yet fenced: wait for it. */
		usleep_range(100, 1000);
		return 0;
	}
	if (access == MORSEL_ACCESS_WRITE)
		morsel_count(ov, MORSEL_CNT_TRANSFERS);
	if (access == MORSEL_ACCESS_READ_CHUNK) {
		g->chunk_recalled = true;
		return morsel_recall(ov, BIT(owner), page,
				     MORSEL_RECALL_DOWNGRADE | MORSEL_RECALL_CHUNK);
	}
	return morsel_recall(ov, BIT(owner), page,
			     access == MORSEL_ACCESS_WRITE ? MORSEL_RECALL_INVALIDATE :
							     MORSEL_RECALL_DOWNGRADE);
}

/*
 * This host installed BUSY{host, R} to write a shared page: revoke every
 * reader in R (all asked at once), then take the page. Only this host
 * changes a BUSY entry of its own. Context: no lock held; may sleep.
 */
static int acquire_from_readers(struct morsel_overlay *ov, u64 page, u64 old, u64 busy)
{
	struct morsel_own_req me = overlay_req(ov, 0);
	u64 *pte = overlay_pte(ov, page), new;

	morsel_count(ov, MORSEL_CNT_TRANSFERS);
	morsel_recall(ov, MORSEL_PTE_READERS(busy), page, MORSEL_RECALL_READER);
	if (morsel_pte_update(pte, morsel_own_busy_done, &me, &busy, &new))
		return 0;	/* recovered by a survivor: we were declared dead */
	trace_morsel_acquire(ov->idx, page, me.host, busy, new);
	if (!morsel_pte_read_by(old, me.host)) {
		/* Without a copy of ours, ours may be stale. */
		mutex_lock(&ov->lock);
		morsel_overlay_zap(ov, page);
		morsel_overlay_invalidate(ov, page, new);
		mutex_unlock(&ov->lock);
	}
	return 0;
}

/*
 * Another host is revoking readers (BUSY): wait for it, or recover the
 * page if it died. A grant does not wait. Context: no lock held; sleeps.
 */
static int acquire_wait(struct morsel_overlay *ov, u64 page, enum morsel_access access)
{
	if (access == MORSEL_ACCESS_GRANT)
		return -EAGAIN;
	if (!morsel_recover_dead(ov, page))
		usleep_range(20, 100);
	return 0;
}

/*
 * The protocol's loop: look at the entry under ov->lock, act on what the
 * transition says, again until granted. A write is held from its first
 * look (hold.c): a compare-and-swap outside ov->lock (a fill, revoked
 * readers) may make the page ours before the loop maps it, and a recall
 * must not take it back in between.
 */
static int acquire_loop(struct morsel_overlay *ov, u64 page, enum morsel_access access,
			struct morsel_grant *g)
{
	struct morsel_pool *p = ov->pool;
	unsigned long deadline = jiffies + msecs_to_jiffies(4 * p->sb->lease_ms);
	bool read = access == MORSEL_ACCESS_READ || access == MORSEL_ACCESS_READ_CHUNK;
	struct morsel_own_req req = overlay_req(ov, read ? 0 : MORSEL_OWN_WRITE);
	u64 old, new;
	int action, err;

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
		if (access == MORSEL_ACCESS_GRANT && page >= overlay_pages(ov)) {
			mutex_unlock(&ov->lock);
			return -EAGAIN;	/* shrunk since the fault began */
		}
		if (access == MORSEL_ACCESS_WRITE)
			morsel_hold_set(ov, page, MORSEL_HOLD_TAKING);
		action = morsel_pooltable_fault(p, ov->idx, page, &req, &old, &new);
		if (action == MORSEL_OWN_GRANTED) {
			/* The store that faulted is retried once we return. */
			if (access == MORSEL_ACCESS_WRITE)
				morsel_hold_set(ov, page, MORSEL_HOLD_GRANTED);
			return acquire_granted(ov, page, old, new, g);
		}
		mutex_unlock(&ov->lock);
		if (action < 0)
			return action;
		switch (action) {
		case MORSEL_OWN_NEED_FRAME:
			err = acquire_fill(ov, page, &req);
			break;
		case MORSEL_OWN_RECALL:
			err = acquire_from_owner(ov, page, access, old, g);
			break;
		case MORSEL_OWN_INVALIDATE:
			err = acquire_from_readers(ov, page, old, new);
			break;
		default:
			err = acquire_wait(ov, page, access);
			break;
		}
		if (err)
			return err;
	}
}

/**
 * morsel_acquire() - run the protocol until this host has an access.
 * @ov: the overlay.
 * @page: page index.
 * @access: what is asked.
 * @g: the entry that grants it, and whether a chunk recall was sent.
 *
 * A write access is held against recalls while it is being taken and for
 * a short window after (hold.c).
 *
 * Context: process context, no lock held; may sleep and wait for other
 * hosts.
 * Return: 0 with ov->lock held, or a negative errno without it
 * (-ESTALE: object deleted; -ENOSPC: no frame; -ETIMEDOUT: no progress
 * within the bound; -ENOTCONN: this host is not online; -EINTR: a fatal
 * signal; -EAGAIN: a grant that is not to be had now).
 */
int morsel_acquire(struct morsel_overlay *ov, u64 page, enum morsel_access access,
		   struct morsel_grant *g)
{
	int err;

	*g = (struct morsel_grant){};
	err = acquire_loop(ov, page, access, g);
	if (err && access == MORSEL_ACCESS_WRITE) {
		mutex_lock(&ov->lock);
		morsel_hold_set(ov, page, MORSEL_HOLD_NONE);
		mutex_unlock(&ov->lock);
	}
	return err;
}

/*
 * Map a page that morsel_acquire() granted, writable only while its entry
 * says this host owns it (a plain object's in every writable mapping: no
 * protocol), in the overlay's table where the mapping links it (every
 * process linking it sees the page at once), else in the process's own
 * table. Context: ov->lock held; dropped here.
 */
static vm_fault_t fault_map(struct morsel_overlay *ov, struct vm_area_struct *vma,
			    unsigned long addr, u64 page, u64 e)
{
	unsigned long pfn = morsel_overlay_pfn(ov, page, e);
	bool write = MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE ||
		     (overlay_plain(ov) && (vma->vm_flags & VM_WRITE));
	vm_fault_t ret;
	pfn_t pt;

	if (READ_ONCE(ov->pool->state) != MORSEL_POOL_ONLINE) {
		ret = VM_FAULT_SIGBUS;	/* fenced meanwhile: the tables stay empty */
	} else if (!pfn) {
		ret = VM_FAULT_OOM;
	} else if (morsel_vma_links(vma, addr)) {
		/* Reads through the pool's table need nothing of ours. */
		if (!write && morsel_subtree_allows(ov, page, false))
			ret = VM_FAULT_NOPAGE;
		else
			ret = morsel_subtree_set(ov, page, pfn, write) ? VM_FAULT_OOM :
									 VM_FAULT_NOPAGE;
	} else {
		/* VM_PFNMAP mappings (those that link) take special entries only. */
		pt = __pfn_to_pfn_t(pfn, vma->vm_flags & VM_PFNMAP ? PFN_SPECIAL : 0);
		ret = write ? vmf_insert_mixed_mkwrite(vma, addr, pt) :
			      vmf_insert_mixed(vma, addr, pt);
	}
	mutex_unlock(&ov->lock);
	return ret;
}

/*
 * Take the pages after a write-faulted one as well, as many as the policy
 * asks (a hint: stop at the first that another host's writer holds or
 * that is in transition; readers are revoked). Context: no lock held.
 */
static void fault_grant(struct morsel_overlay *ov, struct vm_area_struct *vma,
			unsigned long addr, u64 page, u64 pages)
{
	u64 room = min(pages - 1 - page, (vma->vm_end - addr) / PAGE_SIZE - 1);
	struct morsel_policy_ctx ctx;
	struct morsel_grant g;
	u64 i, n;

	if (!room)
		return;	/* last page of the object or mapping: nothing to ask */
	overlay_policy_ctx(ov, page, pages, &ctx);
	n = morsel_policy_write_fault(&ctx, room);
	for (i = 1; i <= n; i++) {
		if (morsel_pte_owned_by(READ_ONCE(*overlay_pte(ov, page + i)),
					ov->pool->host_id))
			continue;
		if (morsel_acquire(ov, page + i, MORSEL_ACCESS_GRANT, &g))
			break;
		if (fault_map(ov, vma, addr + i * PAGE_SIZE, page + i, g.entry) & VM_FAULT_ERROR)
			break;
		morsel_policy_count_granted(1);
	}
}

/*
 * A fault on an overlay mapping: a read fault shares the page unless the
 * policy takes it exclusively; a write fault takes it. A plain object's
 * fault only shares it (a frame at first touch), and maps it writable.
 * Sets *@err to the protocol's error. Context: the fault handler,
 * mmap_lock held.
 */
static vm_fault_t fault_resolve(struct vm_fault *vmf, bool write, int *err)
{
	struct morsel_overlay *ov = vmf->vma->vm_file->private_data;
	u64 page = vmf->pgoff, pages = overlay_pages(ov);
	bool links = morsel_vma_links(vmf->vma, vmf->address);
	enum morsel_access access = MORSEL_ACCESS_WRITE;
	struct morsel_policy_ctx ctx;
	struct morsel_grant g;
	vm_fault_t ret;

	if (page >= pages)
		return VM_FAULT_SIGBUS;
	if (links) {
		/* Link the chunk; the access may be allowed already. */
		ret = morsel_subtree_fault(ov, vmf);
		if (ret)
			return ret;
		if (morsel_subtree_allows(ov, page, write))
			return VM_FAULT_NOPAGE;
	}
	morsel_count(ov, write ? MORSEL_CNT_WRITE_FAULTS : MORSEL_CNT_READ_FAULTS);
	if (overlay_plain(ov)) {
		access = MORSEL_ACCESS_READ;	/* no policy; never linked: obj_mmap_links() */
	} else if (!write) {
		overlay_policy_ctx(ov, page, pages, &ctx);
		/* Only where this host could write it: no writable PTE otherwise. */
		if (morsel_policy_read_fault(&ctx) != MORSEL_READ_EXCLUSIVE ||
		    !(vmf->vma->vm_flags & VM_WRITE))
			access = links ? MORSEL_ACCESS_READ_CHUNK : MORSEL_ACCESS_READ;
	}
	*err = morsel_acquire(ov, page, access, &g);
	if (*err) {
		pr_warn_ratelimited("morsel: fault on object %u page %llu failed: %d\n",
				    ov->idx, page, *err);
		return VM_FAULT_SIGBUS;	/* also for a full data region */
	}
	ret = fault_map(ov, vmf->vma, vmf->address, page, g.entry);
	if (write && access == MORSEL_ACCESS_WRITE && !(ret & VM_FAULT_ERROR))
		fault_grant(ov, vmf->vma, vmf->address, page, pages);
	/* An owner gave up its pages of the chunk: map them all now. */
	if (g.chunk_recalled && !(ret & VM_FAULT_ERROR))
		morsel_subtree_prefill(ov, page / PTRS_PER_PTE);
	return ret;
}

/*
 * Every fault is a transfer of its own (xfer.c): what it does here and
 * what the hosts it asks do for it are traced with its id, between
 * morsel_fault_enter and morsel_fault.
 */
static vm_fault_t fault_handle(struct vm_fault *vmf, bool write)
{
	struct morsel_overlay *ov = vmf->vma->vm_file->private_data;
	struct morsel_pool *p = ov->pool;
	u64 t0 = ktime_get_ns();
	struct morsel_xfer x;
	vm_fault_t ret;
	int err = 0;

	morsel_xfer_begin(&x, morsel_xfer_new(p));
	trace_morsel_fault_enter(ov->idx, vmf->pgoff, p->host_id, write);
	ret = fault_resolve(vmf, write, &err);
	if (!err && (ret & VM_FAULT_ERROR))
		err = ret & VM_FAULT_OOM ? -ENOMEM : -EFAULT;	/* not from the protocol */
	trace_morsel_fault(ov->idx, vmf->pgoff, p->host_id, write, err, ktime_get_ns() - t0);
	morsel_xfer_end(&x);
	return ret;
}

/**
 * morsel_acquire_xfer() - morsel_acquire() as a transfer of its own.
 * @ov: the overlay.
 * @page: page index.
 * @access: what is asked.
 * @g: as for morsel_acquire().
 *
 * For what takes a page outside a fault (read(), write(), a punch): the
 * hosts it asks trace their work under its id (xfer.c), as for a fault.
 *
 * Context and return: as morsel_acquire().
 */
int morsel_acquire_xfer(struct morsel_overlay *ov, u64 page, enum morsel_access access,
			struct morsel_grant *g)
{
	struct morsel_xfer x;
	int err;

	morsel_xfer_begin(&x, morsel_xfer_new(ov->pool));
	err = morsel_acquire(ov, page, access, g);
	morsel_xfer_end(&x);
	return err;
}

static vm_fault_t overlay_fault(struct vm_fault *vmf)
{
	return fault_handle(vmf, vmf->flags & FAULT_FLAG_WRITE);
}

/* A write to a page mapped read-only: the upgrade to exclusive. */
static vm_fault_t overlay_pfn_mkwrite(struct vm_fault *vmf)
{
	vm_fault_t ret = fault_handle(vmf, true);

	/* The PTE is installed; tell the core not to touch it again. */
	return ret & VM_FAULT_ERROR ? ret : VM_FAULT_NOPAGE;
}

/*
 * A linked mapping does not split inside a chunk it links: a table is
 * linked whole. A partial chunk (a head or tail mapped page by page)
 * splits anywhere.
 */
static int overlay_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return !IS_ALIGNED(addr, PMD_SIZE) && morsel_vma_links(vma, addr) ? -EINVAL : 0;
}

/*
 * The tables are shared by every linked mapping of the host: a linked
 * mapping keeps the protection (and protection key) it was made with.
 */
static int overlay_mprotect(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, unsigned long newflags)
{
	return vma_is_morsel(vma) && newflags != vma->vm_flags ? -EACCES : 0;
}

static void overlay_vm_open(struct vm_area_struct *vma)
{
	morsel_overlay_mapped(vma->vm_file->private_data, 1);
}

static void overlay_vm_close(struct vm_area_struct *vma)
{
	morsel_overlay_mapped(vma->vm_file->private_data, -1);
}

const struct vm_operations_struct morsel_overlay_vm_ops = {
	.open = overlay_vm_open,
	.close = overlay_vm_close,
	.fault = overlay_fault,
	.pfn_mkwrite = overlay_pfn_mkwrite,
	.may_split = overlay_may_split,
	.mprotect = overlay_mprotect,
};
