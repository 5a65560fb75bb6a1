/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The overlay: this host's view of one object, shared by every file and
 * mapping of the object on this host, and what the files that drive its
 * protocol share:
 *
 *   overlay.c    lifetime, this host's copy of a page (unmap, write back,
 *                invalidate), mappings, fencing, counters
 *   fault.c      the fault path: one function per protocol case
 *   recall.c     recalls sent and answered, dead-host recovery
 *   hold.c       the minimum hold of a page a write fault took
 *   writeback.c  releasing pages: msync/fsync, the policy tick
 *   object.c     an object as a file: mmap, ioctls, resize, punch
 *   rw.c         read() and write() through the protocol
 *   fs.c         morselfs: the directory as a file system
 *
 * Locking: ov->lock serialises, on this host, installing a PTE (in the
 * overlay's tables or a process's own) against revoking it. A fault
 * re-checks the authoritative entry and maps under ov->lock; a recall
 * takes ov->lock before it unmaps. No one
 * holds ov->lock while waiting for another host: the handler thread,
 * which serves recalls, must never wait for a fault that waits for a
 * remote host. Order: mmap_lock -> ov->lock -> i_mmap_rwsem -> PTL.
 */
#ifndef _MM_MORSEL_OVERLAY_H
#define _MM_MORSEL_OVERLAY_H

#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>
#include "internal.h"
#include "policy.h"

/* Ownership counters (counters.h, policy.h), per overlay and summed per host. */
struct morsel_obj_counters {
	atomic64_t c[MORSEL_CNT_NR];
};

/* Write grants held against recalls (hold.c); under ov->lock. */
#define MORSEL_HOLD_SLOTS 8
struct morsel_holds {
	u64 page[MORSEL_HOLD_SLOTS];
	u64 until[MORSEL_HOLD_SLOTS];	/* ktime ns; past: free; U64_MAX: taking */
};

/**
 * struct morsel_overlay - this host's overlay of one object.
 * @ref: files, the handler thread while it serves a recall, the tick.
 * @pool: the pool.
 * @idx: directory index of the object.
 * @gen: the object's generation when the overlay was made.
 * @inode: its address_space lists every mapping of the object on this
 *	host, which revoking a page flushes or zaps.
 * @lock: see the header comment.
 * @coherence: enum morsel_coherence of the object, fixed at create.
 * @shadow: page index -> host-local copy (copy.c): the shadow of a pool
 *	page in stale-cache mode, the page's copy in the copy modes.
 * @twins: twin-and-diff: page index -> the copy as it was when write
 *	access was granted. Both under @lock.
 * @tables: the subtree: chunk (2 MiB of the object) -> this host's PTE
 *	table of it, linked by every mapping that covers the chunk
 *	(subtree.c). Entries and marks are added and erased under @lock
 *	(a relink erases a table and frees it after an RCU grace period,
 *	the others go with the overlay); lock-free readers look into a table
 *	under rcu_read_lock(); a table's entries change under @lock and the
 *	table's split PTE lock.
 * @pooled: chunk -> xa_mk_value(1) where this host's mappings link the
 *	pool's hardware table instead of one of @tables (subtree.c); changes
 *	under @lock, read lock-free. A chunk is in at most one of the two.
 * @vmas: mappings of the overlay on this host (under overlays_lock).
 * @cnt: this overlay's counters.
 * @holds: pages a write fault took lately, kept from recalls (hold.c);
 *	under @lock.
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
	u32 coherence;		/* enum morsel_coherence: fixed at create */
	struct xarray shadow;
	struct xarray twins;
	struct xarray tables;
	struct xarray pooled;
	int vmas;
	struct morsel_obj_counters cnt;
	struct morsel_holds holds;
	struct rcu_head rcu;
};

extern struct morsel_obj_counters morsel_host_counters;

static inline void morsel_count_add(struct morsel_overlay *ov, enum morsel_obj_counter c,
				    s64 n)
{
	atomic64_add(n, &ov->cnt.c[c]);
	atomic64_add(n, &morsel_host_counters.c[c]);
}

static inline void morsel_count(struct morsel_overlay *ov, enum morsel_obj_counter c)
{
	morsel_count_add(ov, c, 1);
}

static inline struct morsel_obj_entry *overlay_obj(struct morsel_overlay *ov)
{
	return morsel_obj_entry(ov->pool, ov->idx);
}

/* Is the object this overlay was made for still there? */
static inline bool overlay_live(struct morsel_overlay *ov)
{
	struct morsel_obj_entry *o = overlay_obj(ov);

	return READ_ONCE(o->state) == MORSEL_OBJ_LIVE && READ_ONCE(o->gen) == ov->gen;
}

/*
 * Is the entry still this overlay's object, live or deleted but kept for
 * the hosts that have it open (directory.c)?
 */
static inline bool overlay_entry_ours(struct morsel_overlay *ov)
{
	struct morsel_obj_entry *o = overlay_obj(ov);
	u32 state = READ_ONCE(o->state);

	return (state == MORSEL_OBJ_LIVE || state == MORSEL_OBJ_ORPHAN) &&
	       READ_ONCE(o->gen) == ov->gen;
}

/*
 * Does this host map a host-local copy of the object's pages (a copy
 * mode, or the stale-cache emulation) rather than the pool's frames?
 */
static inline bool overlay_copies(struct morsel_overlay *ov)
{
	switch (ov->coherence) {
	case MORSEL_COHERENCE_LINES:
		return morsel_stale_cache;
	case MORSEL_COHERENCE_PLAIN:
		return false;	/* stands for coherent hardware: never emulated stale */
	default:
		return true;
	}
}

/* Is the object plain (no protocol after a page's first touch)? */
static inline bool overlay_plain(struct morsel_overlay *ov)
{
	return ov->coherence == MORSEL_COHERENCE_PLAIN;
}

/* Is the object a DSM baseline (page-copy or twin-and-diff: copy.c)? */
static inline bool overlay_dsm(struct morsel_overlay *ov)
{
	return ov->coherence == MORSEL_COHERENCE_PAGECOPY ||
	       ov->coherence == MORSEL_COHERENCE_TWINDIFF;
}

/* May this host link the pool's tables for the object (pooltable.c)? */
static inline bool overlay_pooltables(struct morsel_overlay *ov)
{
	return ov->coherence == MORSEL_COHERENCE_LINES && morsel_pooltable_usable(ov->pool);
}

/* May a file of the overlay be used? 0, -ENOTCONN (fenced) or -ESTALE (deleted). */
static inline int overlay_usable(struct morsel_overlay *ov)
{
	if (READ_ONCE(ov->pool->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	return overlay_live(ov) ? 0 : -ESTALE;
}

/* Pages of the object now (its size may change on any host). */
static inline u64 overlay_pages(struct morsel_overlay *ov)
{
	return min(DIV_ROUND_UP(READ_ONCE(overlay_obj(ov)->size), PAGE_SIZE),
		   morsel_obj_max_pages(ov->pool));
}

static inline u64 *overlay_pte(struct morsel_overlay *ov, u64 page)
{
	return morsel_obj_pte(ov->pool, ov->idx, page);
}

/* This host's own entry requests. */
static inline struct morsel_own_req overlay_req(struct morsel_overlay *ov, u32 flags)
{
	return (struct morsel_own_req){ .host = ov->pool->host_id, .flags = flags };
}

/* A data frame, as mapped by this host. */
static inline void *morsel_frame_ptr(struct morsel_pool *p, u64 frame)
{
	return morsel_pool_ptr(p, p->sb->data_off + (frame << PAGE_SHIFT));
}

/* The data frame of an entry. */
static inline void *morsel_frame_addr(struct morsel_pool *p, u64 e)
{
	return morsel_frame_ptr(p, MORSEL_PTE_FRAME1(e) - 1);
}

/* What a policy is told about a page of the overlay. */
static inline void overlay_policy_ctx(struct morsel_overlay *ov, u64 page, u64 pages,
				      struct morsel_policy_ctx *c)
{
	*c = (struct morsel_policy_ctx){
		.obj = ov->idx,
		.host = ov->pool->host_id,
		.page = page,
		.pages = pages,
		.entry = READ_ONCE(*overlay_pte(ov, page)),
	};
}

/* overlay.c */
struct morsel_overlay *morsel_overlay_get(struct morsel_pool *p, unsigned int idx,
					  u32 gen, bool create);
struct morsel_overlay *morsel_overlay_next(unsigned int *idx);
void morsel_overlay_put(struct morsel_overlay *ov);
struct file *morsel_overlay_file(struct morsel_overlay *ov,
				 const struct file_operations *fops);
void morsel_overlay_mapped(struct morsel_overlay *ov, int delta);
void morsel_overlay_zap(struct morsel_overlay *ov, u64 page);
void morsel_overlay_invalidate(struct morsel_overlay *ov, u64 page, u64 e);
void morsel_overlay_writeback(struct morsel_overlay *ov, u64 page, u64 e);
unsigned long morsel_overlay_pfn(struct morsel_overlay *ov, u64 page, u64 e);

/* copy.c: host-local copies (stale-cache shadows, page-copy, twin-and-diff) */
struct page *morsel_copy_get(struct morsel_overlay *ov, u64 page, u64 e);
void morsel_copy_fresh(struct morsel_overlay *ov, u64 page);
void morsel_copy_writeback(struct morsel_overlay *ov, u64 page, u64 e);
void morsel_copy_drop(struct morsel_overlay *ov, u64 page);
void morsel_copy_free_all(struct morsel_overlay *ov);

/* subtree.c */
/* How new mappings of objects are made (morsel.map=). */
enum morsel_map_mode {
	MORSEL_MAP_FAULT,	/* page by page, in each process's own tables */
	MORSEL_MAP_LINK,	/* link the overlay's tables on the first fault */
	MORSEL_MAP_EAGER,	/* link them at mmap */
};

extern enum morsel_map_mode morsel_map_mode;
bool morsel_vma_links(struct vm_area_struct *vma, unsigned long addr);
int morsel_subtree_set(struct morsel_overlay *ov, u64 page, unsigned long pfn, bool write);
bool morsel_subtree_allows(struct morsel_overlay *ov, u64 page, bool write);
void morsel_subtree_revoke(struct morsel_overlay *ov, u64 page);
void morsel_subtree_prefill(struct morsel_overlay *ov, u64 chunk);
void morsel_subtree_relink(struct morsel_overlay *ov, u64 chunk);
vm_fault_t morsel_subtree_fault(struct morsel_overlay *ov, struct vm_fault *vmf);
int morsel_subtree_map(struct morsel_overlay *ov, struct vm_area_struct *vma);
void morsel_subtree_clear_all(struct morsel_overlay *ov);
void morsel_subtree_free(struct morsel_overlay *ov);
unsigned long morsel_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);

/* fault.c */
/* The access a host asks for a page. */
enum morsel_access {
	MORSEL_ACCESS_READ,	/* a copy to read */
	MORSEL_ACCESS_READ_CHUNK, /* the same, where the mapping links the
				   * page's 2 MiB: an owner is asked for all
				   * of its pages there at once
				   */
	MORSEL_ACCESS_WRITE,	/* exclusive: recall the owner, revoke readers */
	MORSEL_ACCESS_GRANT,	/* exclusive, beside a faulting page: only if
				 * no other host's writer holds it and no
				 * transition is in flight; never waits
				 */
};

/* What morsel_acquire() got, for the caller to map. */
struct morsel_grant {
	u64 entry;		/* the entry that grants the access */
	bool chunk_recalled;	/* an owner gave up its pages of the 2 MiB */
};

extern const struct vm_operations_struct morsel_overlay_vm_ops;
int morsel_acquire(struct morsel_overlay *ov, u64 page, enum morsel_access access,
		   struct morsel_grant *g);
int morsel_acquire_xfer(struct morsel_overlay *ov, u64 page, enum morsel_access access,
			struct morsel_grant *g);

/* object.c */
extern const struct file_operations morsel_obj_fops;
extern const struct file_operations morsel_fs_obj_fops;
int morsel_obj_punch(struct morsel_overlay *ov, u64 first, u64 count);
int morsel_obj_resize(struct morsel_overlay *ov, u64 size, bool grow_only);

/* rw.c */
ssize_t morsel_obj_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t morsel_obj_write_iter(struct kiocb *iocb, struct iov_iter *from);
long morsel_obj_fallocate(struct file *file, int mode, loff_t offset, loff_t len);
loff_t morsel_obj_llseek(struct file *file, loff_t offset, int whence);
int morsel_obj_zero(struct morsel_overlay *ov, loff_t start, loff_t end);

/* filelock.c */
int morsel_file_lock(struct file *file, int cmd, struct file_lock *fl);
int morsel_file_flock(struct file *file, int cmd, struct file_lock *fl);

/* hold.c */
void morsel_hold_note(struct morsel_holds *h, u64 page, u64 now, u64 until);
u64 morsel_hold_left(const struct morsel_holds *h, u64 page, u64 now);
enum morsel_hold_step { MORSEL_HOLD_NONE, MORSEL_HOLD_TAKING, MORSEL_HOLD_GRANTED };
void morsel_hold_set(struct morsel_overlay *ov, u64 page, enum morsel_hold_step step);
u32 morsel_hold_left_us(struct morsel_overlay *ov, u64 page);

/* recall.c */
/* Recall modes, in the top bits of arg1 of MORSEL_MSG_RECALL. */
enum morsel_recall_mode {
	MORSEL_RECALL_DOWNGRADE = 0,	/* exclusive owner: keep a read copy */
	MORSEL_RECALL_INVALIDATE,	/* exclusive owner: give it all up */
	MORSEL_RECALL_READER,		/* a reader: unmap, drop the copy */
	/*
	 * With DOWNGRADE: the asker maps the page's 2 MiB as one; downgrade
	 * every page of it that the owner holds exclusively, in one answer.
	 */
	MORSEL_RECALL_CHUNK = 0x10,
};

int morsel_recall(struct morsel_overlay *ov, u32 hosts, u64 page, unsigned int mode);
bool morsel_recover_dead(struct morsel_overlay *ov, u64 page);

/* writeback.c */
void morsel_release_page(struct morsel_pool *p, struct morsel_overlay *ov,
			 unsigned int idx, u64 page, u32 flags);
int morsel_overlay_fsync(struct file *file, loff_t start, loff_t end, int datasync);

#endif /* _MM_MORSEL_OVERLAY_H */
