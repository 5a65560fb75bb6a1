// SPDX-License-Identifier: GPL-2.0-only
/*
 * Overlays: this host's view of an object (overlay.h has the structure
 * and its locking). One overlay per host per object, shared by every file
 * and mapping of the object on this host: an inode of a private pseudo
 * filesystem whose address_space lists the host's mappings of the object,
 * and a page-table subtree that the mappings link (subtree.c).
 *
 * This file holds the overlay's lifetime (made at the first open, given
 * back to the pool at the last close), this host's copy of a page (unmap,
 * write back, invalidate: the primitives the protocol files use), the
 * count of its mappings on the pool, fencing, and its counters.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string_helpers.h>
#include <linux/stringify.h>
#include <linux/wait.h>
#include <trace/events/morsel.h>
#include "overlay.h"

#define MORSEL_FS_MAGIC	0x4d4f5253	/* "MORS" */

/* Host totals of the object counters, for sysfs. */
struct morsel_obj_counters morsel_host_counters;

static const char *const counter_ids[MORSEL_CNT_NR] = {
#define MORSEL_COUNTER(name) __stringify(name),
#include "counters.h"
};

/* The same in lower case: sysfs files, debugfs columns, UAPI fields. */
static char counter_names[MORSEL_CNT_NR][24];

static struct vfsmount *morsel_mnt;
/*
 * Protects overlays[] and every overlay's vmas and views/mapped bits.
 * Lock-free readers (policy kfuncs) load an entry under rcu_read_lock();
 * entries are published with a release store and freed with kfree_rcu().
 */
static DEFINE_MUTEX(overlays_lock);
static struct morsel_overlay *overlays[MORSEL_MAX_OBJECTS];

/*
 * Overlays whose last reference went and whose pages overlay_free() is
 * giving back (overlays_lock; the slot of overlays[] is empty meanwhile).
 * A new overlay of the object, and a recall of it, wait on dying_wq until
 * it is done: the teardown releases the pages this host holds and takes
 * the host out of the views and linked sets, which must not happen to a
 * new overlay's pages and bits; and in stale-cache mode only the dying
 * overlay has what this host wrote (its shadow frames).
 */
static struct morsel_overlay *dying[MORSEL_MAX_OBJECTS];
static DECLARE_WAIT_QUEUE_HEAD(dying_wq);

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/* Tests: how long a teardown waits before it gives pages back (dying[]). */
static unsigned int teardown_delay_ms;
module_param(teardown_delay_ms, uint, 0644);
MODULE_PARM_DESC(teardown_delay_ms, "tests: delay an overlay's teardown by this many ms");

/**
 * morsel_overlay_zap() - unmap a page from every process of this host.
 * @ov: the overlay.
 * @page: page index.
 *
 * Flushes the page's TLB entries on every CPU of the host.
 * Context: ov->lock held.
 */
void morsel_overlay_zap(struct morsel_overlay *ov, u64 page)
{
	morsel_subtree_revoke(ov, page);
	morsel_count(ov, MORSEL_CNT_SHOOTDOWNS);
	trace_morsel_shootdown(ov->idx, page, ov->pool->host_id);
}

/**
 * morsel_overlay_invalidate() - make a page's content ours to read.
 * @ov: the overlay.
 * @page: page index.
 * @e: its entry (for the frame).
 *
 * Drops this host's stale lines (or, in stale-cache mode, its shadow).
 */
void morsel_overlay_invalidate(struct morsel_overlay *ov, u64 page, u64 e)
{
	if (overlay_copies(ov))
		morsel_copy_drop(ov, page);
	else
		morsel_cache_invalidate(morsel_frame_addr(ov->pool, e));
	morsel_count(ov, MORSEL_CNT_INVALIDATES);
	trace_morsel_invalidate(ov->idx, page, ov->pool->host_id);
}

/**
 * morsel_overlay_writeback() - publish this host's writes to a page.
 * @ov: the overlay.
 * @page: page index.
 * @e: its entry (for the frame).
 *
 * Before a host gives up exclusive access, every line it wrote reaches
 * the pool.
 */
void morsel_overlay_writeback(struct morsel_overlay *ov, u64 page, u64 e)
{
	u64 t0 = ktime_get_ns();

	if (overlay_copies(ov)) {
		morsel_copy_writeback(ov, page, e);
	} else {
		morsel_cache_writeback(morsel_frame_addr(ov->pool, e));
		morsel_count_add(ov, MORSEL_CNT_LINES_FLUSHED, PAGE_SIZE / L1_CACHE_BYTES);
	}
	morsel_count(ov, MORSEL_CNT_WRITEBACKS);
	trace_morsel_writeback(ov->idx, page, ov->pool->host_id,
			       ktime_get_ns() - t0);
}

/**
 * morsel_overlay_pfn() - the frame this host maps for a page.
 * @ov: the overlay.
 * @page: page index.
 * @e: its entry, which grants this host access.
 *
 * The pool's frame, or the host's copy of it (copy.c).
 * Context: ov->lock held.
 * Return: the pfn, or 0 without memory for a shadow.
 */
unsigned long morsel_overlay_pfn(struct morsel_overlay *ov, u64 page, u64 e)
{
	struct morsel_pool *p = ov->pool;
	struct page *pg;

	if (!overlay_copies(ov))
		return PHYS_PFN(p->phys + p->sb->data_off) + MORSEL_PTE_FRAME1(e) - 1;
	pg = morsel_copy_get(ov, page, e);
	return pg ? page_to_pfn(pg) : 0;
}

/*
 * The last reference on this host is gone (kref_put_mutex() holds
 * overlays_lock; dropped here): give every page back, written back, so
 * that no other host ever waits for this one about this object.
 */
static void overlay_free(struct kref *ref)
{
	struct morsel_overlay *ov = container_of(ref, struct morsel_overlay, ref);
	struct morsel_pool *p = ov->pool;
	struct morsel_own_req me = overlay_req(ov, 0);
	u64 page, pages = morsel_obj_table_pages(p, ov->idx), old, new;
	bool linked = false, current_one, reap;

	/*
	 * An overlay of a deleted generation may have been replaced already:
	 * this host's bit in @views is then the new one's.
	 */
	current_one = overlays[ov->idx] == ov;
	if (current_one) {
		WRITE_ONCE(overlays[ov->idx], NULL);
		WRITE_ONCE(dying[ov->idx], ov);
	}
	mutex_unlock(&overlays_lock);
	if (READ_ONCE(teardown_delay_ms))
		msleep(min(READ_ONCE(teardown_delay_ms), 10000U));

	/* A deleted object's too: its frames go to others once we are done. */
	for (page = 0; overlay_entry_ours(ov) && page < pages; page++) {
		u64 *pte = overlay_pte(ov, page), e;

		/*
		 * An owned page is written back, then released from exactly
		 * the entry written back: a new open of this host may take
		 * the page again meanwhile, and its writes are its own.
		 */
		do {
			e = READ_ONCE(*pte);
			me.expect = e;
			if (morsel_pte_owned_by(e, me.host))
				morsel_overlay_writeback(ov, page, e);
		} while (morsel_pooltable_release(p, ov->idx, page, morsel_own_leave, &me,
						  &old, &new) == -EAGAIN);
		/*
		 * Lines read through the pool's table go too: no writer
		 * revokes this host once it leaves the linked set, and a later
		 * link reads with no fault that would drop them.
		 */
		if (!(page % PTRS_PER_PTE)) {
			struct morsel_chunk *c = morsel_obj_chunk(p, ov->idx,
								  page / PTRS_PER_PTE);

			linked = !overlay_copies(ov) && (READ_ONCE(c->linked) & BIT(me.host));
		}
		if (linked && MORSEL_PTE_FRAME1(old))
			morsel_cache_invalidate(morsel_frame_addr(p, old));
		cond_resched();
	}
	/* Its last access to the entry (the linked sets), then the view. */
	morsel_subtree_free(ov);
	/* No newer overlay of this host meanwhile: dying[] keeps them out. */
	reap = current_one && morsel_obj_view_put(p, ov->idx);
	morsel_copy_free_all(ov);
	mutex_lock(&overlays_lock);
	if (dying[ov->idx] == ov)
		WRITE_ONCE(dying[ov->idx], NULL);
	mutex_unlock(&overlays_lock);
	wake_up_all(&dying_wq);
	if (reap)
		morsel_obj_reap(p, ov->idx);
	iput(ov->inode);
	kfree_rcu(ov, rcu);
}

/**
 * morsel_overlay_put() - drop a reference to an overlay.
 * @ov: the overlay.
 *
 * The last reference is dropped under overlays_lock, so a lookup never
 * finds an overlay on its way out; giving its pages back runs after the
 * lock.
 */
void morsel_overlay_put(struct morsel_overlay *ov)
{
	kref_put_mutex(&ov->ref, overlay_free, &overlays_lock);
}

static struct morsel_overlay *overlay_alloc(struct morsel_pool *p, unsigned int idx,
					    u32 gen)
{
	u32 coherence = READ_ONCE(morsel_obj_entry(p, idx)->coherence);
	struct morsel_overlay *ov;

	if (coherence > MORSEL_COHERENCE_PLAIN) {
		pr_warn_ratelimited("morsel: object %u: unknown coherence %u: corrupt entry\n",
				    idx, coherence);
		return ERR_PTR(-EIO);
	}
	ov = kzalloc(sizeof(*ov), GFP_KERNEL);
	if (!ov)
		return ERR_PTR(-ENOMEM);
	ov->coherence = coherence;
	ov->inode = alloc_anon_inode(morsel_mnt->mnt_sb);
	if (IS_ERR(ov->inode)) {
		int err = PTR_ERR(ov->inode);

		kfree(ov);
		return ERR_PTR(err);
	}
	kref_init(&ov->ref);
	ov->pool = p;
	ov->idx = idx;
	ov->gen = gen;
	mutex_init(&ov->lock);
	xa_init(&ov->shadow);
	xa_init(&ov->twins);
	xa_init(&ov->tables);
	xa_init(&ov->pooled);
	return ov;
}

static void overlay_discard(struct morsel_overlay *ov)
{
	iput(ov->inode);
	kfree(ov);
}

/* The overlay of (idx, gen) with a new reference, or NULL (overlays_lock). */
static struct morsel_overlay *overlay_find_locked(unsigned int idx, u32 gen)
{
	struct morsel_overlay *ov = overlays[idx];

	return ov && ov->gen == gen && kref_get_unless_zero(&ov->ref) ? ov : NULL;
}

/**
 * morsel_overlay_get() - this host's overlay of an object, referenced.
 * @p: the pool.
 * @idx: directory index.
 * @gen: the generation the caller found.
 * @create: make the overlay if this host has none (the first open).
 *
 * An overlay of the object on its way out (dying[]) is waited for first:
 * killably for a new one, without a timeout for a recall (its teardown
 * waits for no other host, only for this host's CPUs).
 *
 * Context: process context; sleeps.
 * Return: the overlay, NULL if there is none and @create is false, or an
 * ERR_PTR: -ESTALE (deleted since the lookup), -ENOMEM, -EINTR (a fatal
 * signal while waiting, only if @create).
 */
struct morsel_overlay *morsel_overlay_get(struct morsel_pool *p, unsigned int idx,
					  u32 gen, bool create)
{
	struct morsel_overlay *ov, *fresh;
	bool reap = false;

again:
	mutex_lock(&overlays_lock);
	ov = overlay_find_locked(idx, gen);
	mutex_unlock(&overlays_lock);
	if (ov)
		return ov;
	if (!create) {
		if (!READ_ONCE(dying[idx]))
			return NULL;
		wait_event(dying_wq, !READ_ONCE(dying[idx]));
		goto again;
	}
	if (wait_event_killable(dying_wq, !READ_ONCE(dying[idx])))
		return ERR_PTR(-EINTR);

	fresh = overlay_alloc(p, idx, gen);
	if (IS_ERR(fresh))
		return fresh;
	mutex_lock(&overlays_lock);
	ov = overlay_find_locked(idx, gen);	/* another open may have won */
	if (!ov && dying[idx]) {
		/* Its last close came meanwhile. */
		mutex_unlock(&overlays_lock);
		overlay_discard(fresh);
		goto again;
	} else if (!ov && morsel_obj_view_get(p, idx, gen)) {
		/* The bit is not ours to clear if an older overlay holds it. */
		if (!overlays[idx])
			reap = morsel_obj_view_put(p, idx);
		ov = ERR_PTR(-ESTALE);
	} else if (!ov) {
		/* Replaces only an overlay of a deleted generation. */
		smp_store_release(&overlays[idx], fresh);
		ov = fresh;
		fresh = NULL;
	}
	mutex_unlock(&overlays_lock);
	if (reap)
		morsel_obj_reap(p, idx);
	if (fresh)
		overlay_discard(fresh);
	return ov;
}

/**
 * morsel_overlay_next() - walk this host's overlays.
 * @idx: in: where to start; out: past the overlay returned.
 *
 * Return: the next overlay at or after *@idx, referenced, or NULL.
 */
struct morsel_overlay *morsel_overlay_next(unsigned int *idx)
{
	struct morsel_overlay *ov = NULL;

	for (; !ov && *idx < MORSEL_MAX_OBJECTS; (*idx)++) {
		mutex_lock(&overlays_lock);
		ov = overlays[*idx];
		if (ov && !kref_get_unless_zero(&ov->ref))
			ov = NULL;
		mutex_unlock(&overlays_lock);
	}
	return ov;
}

/**
 * morsel_overlay_file() - a new file of an overlay.
 * @ov: the overlay; the file takes over the caller's reference.
 * @fops: the file's operations.
 *
 * Return: the file, or an ERR_PTR (the reference is dropped then).
 */
struct file *morsel_overlay_file(struct morsel_overlay *ov,
				 const struct file_operations *fops)
{
	struct file *file;

	ihold(ov->inode);
	file = alloc_file_pseudo(ov->inode, morsel_mnt, "[morsel]", O_RDWR, fops);
	if (IS_ERR(file)) {
		iput(ov->inode);
		morsel_overlay_put(ov);
		return file;
	}
	/* Positioned I/O and seeks, as an open() of a regular file allows. */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->private_data = ov;
	return file;
}

/**
 * morsel_overlay_mapped() - a mapping of the overlay came or went.
 * @ov: the overlay.
 * @delta: +1 or -1.
 *
 * The pool's mapped bit of this host follows: a delete refuses an object
 * that some host maps.
 */
void morsel_overlay_mapped(struct morsel_overlay *ov, int delta)
{
	mutex_lock(&overlays_lock);
	ov->vmas += delta;
	/* A deleted object's entry is ours until our view goes (directory.c). */
	if (ov->vmas && overlay_live(ov))
		pool_or32(&overlay_obj(ov)->mapped, BIT(ov->pool->host_id));
	else if (!ov->vmas && overlays[ov->idx] == ov)
		pool_and32(&overlay_obj(ov)->mapped, ~BIT(ov->pool->host_id));
	mutex_unlock(&overlays_lock);
}

/*
 * This host was declared dead (registry.c calls this): its pages now
 * belong to the survivors, so no process here may touch them. Emptying
 * the tables comes first: the pool is no longer online, so no fault links
 * or fills them again; unmapping then unlinks them and zaps the rest.
 */
static void overlays_fence(void)
{
	unsigned int i;

	mutex_lock(&overlays_lock);
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		if (!overlays[i])
			continue;
		morsel_subtree_clear_all(overlays[i]);
		unmap_mapping_range(overlays[i]->inode->i_mapping, 0, 0, 1);
	}
	mutex_unlock(&overlays_lock);
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

	if (idx >= MORSEL_MAX_OBJECTS || which >= MORSEL_CNT_NR)
		return 0;
	rcu_read_lock();
	ov = READ_ONCE(overlays[idx]);
	if (ov)
		v = atomic64_read(&ov->cnt.c[which]);
	rcu_read_unlock();
	return v;
}

/**
 * morsel_overlay_entry() - a page's entry, for an object open on this host.
 * @idx: directory index.
 * @page: page index.
 *
 * Context: any; lock-free (see overlays_lock).
 * Return: the entry, or 0 without an overlay or beyond the largest object.
 */
u64 morsel_overlay_entry(unsigned int idx, u64 page)
{
	struct morsel_overlay *ov;
	u64 e = 0;

	if (idx >= MORSEL_MAX_OBJECTS)
		return 0;
	rcu_read_lock();
	ov = READ_ONCE(overlays[idx]);
	if (ov && READ_ONCE(ov->pool->state) == MORSEL_POOL_ONLINE &&
	    page < morsel_obj_max_pages(ov->pool))
		e = READ_ONCE(*overlay_pte(ov, page));
	rcu_read_unlock();
	return e;
}

/**
 * morsel_host_counter() - one counter summed over this host's overlays.
 * @which: enum morsel_obj_counter.
 *
 * Return: the counter.
 */
u64 morsel_host_counter(unsigned int which)
{
	return which < MORSEL_CNT_NR ? atomic64_read(&morsel_host_counters.c[which]) : 0;
}

/**
 * morsel_counter_name() - the name of a counter (its sysfs file).
 * @which: enum morsel_obj_counter.
 *
 * Return: the name, or NULL.
 */
const char *morsel_counter_name(unsigned int which)
{
	return which < MORSEL_CNT_NR ? counter_names[which] : NULL;
}

/**
 * morsel_overlays_show() - this host's overlays and their counters.
 * @m: the seq_file of /sys/kernel/debug/morsel/objects.
 *
 * Return: 0.
 */
int morsel_overlays_show(struct seq_file *m)
{
	unsigned int i, c;

	seq_puts(m, "index gen name");
	for (c = 0; c < MORSEL_CNT_NR; c++)
		seq_printf(m, " %s", counter_names[c]);
	seq_putc(m, '\n');
	mutex_lock(&overlays_lock);
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		struct morsel_overlay *ov = overlays[i];

		if (!ov || !overlay_live(ov))
			continue;
		seq_printf(m, "%u %u %.*s", i, ov->gen, MORSEL_NAME_LEN,
			   overlay_obj(ov)->name);
		for (c = 0; c < MORSEL_CNT_NR; c++)
			seq_printf(m, " %lld", atomic64_read(&ov->cnt.c[c]));
		seq_putc(m, '\n');
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
 * morsel_overlay_init() - name the counters, mount the pseudo filesystem of
 * overlay inodes, and have the registry fence the overlays when this host
 * is declared dead.
 *
 * Return: 0 or a negative errno.
 */
int morsel_overlay_init(void)
{
	unsigned int c;

	for (c = 0; c < MORSEL_CNT_NR; c++) {
		strscpy(counter_names[c], counter_ids[c], sizeof(counter_names[c]));
		string_lower(counter_names[c], counter_names[c]);
	}
	morsel_mnt = kern_mount(&morsel_fs_type);
	if (IS_ERR(morsel_mnt))
		return PTR_ERR(morsel_mnt);
	morsel_registry_on_fence(overlays_fence);
	return 0;
}
