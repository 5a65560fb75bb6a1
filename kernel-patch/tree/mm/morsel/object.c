// SPDX-License-Identifier: GPL-2.0-only
/*
 * An object as a file of this host: MORSEL_IOC_CREATE and MORSEL_IOC_OPEN
 * return one, a file of the host's overlay of the object. Its operations:
 *
 *   mmap (MAP_SHARED)   map the overlay (faults: fault.c)
 *   fsync, msync        a sync point (writeback.c)
 *   MORSEL_OBJ_STAT     size, pages, this host's counters
 *   MORSEL_OBJ_ENTRIES  the authoritative entries of a range of pages
 *   MORSEL_OBJ_HWENTRIES  their x86-64 entries in the pool's hardware tables
 *   MORSEL_OBJ_RESIZE   grow, or shrink (the tail is punched)
 *   MORSEL_OBJ_PUNCH    remove pages on every host: this host takes each
 *                       page exclusively (recalling the others), then
 *                       frees its frame
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include "overlay.h"

/**
 * morsel_obj_punch() - remove pages of an object on every host.
 * @ov: this host's overlay.
 * @first: first page.
 * @count: pages.
 *
 * Each page with a frame is taken exclusively (the other hosts recalled),
 * unmapped here and its frame freed: every host reads zeros after.
 *
 * Context: process context, no lock held; sleeps.
 * Return: 0, or the errno of morsel_acquire().
 */
int morsel_obj_punch(struct morsel_overlay *ov, u64 first, u64 count)
{
	struct morsel_pool *p = ov->pool;
	struct morsel_own_req me = overlay_req(ov, 0);
	struct morsel_grant g;
	u64 page, old, new;
	int err;

	for (page = first; page < first + count; page++) {
		if (!MORSEL_PTE_FRAME1(READ_ONCE(*overlay_pte(ov, page))))
			continue;
		err = morsel_acquire_xfer(ov, page, MORSEL_ACCESS_WRITE, &g);
		if (err)
			return err;
		/* ov->lock held: no PTE of this host comes back meanwhile. */
		morsel_overlay_zap(ov, page);
		if (overlay_copies(ov))
			morsel_copy_drop(ov, page);
		if (!morsel_pooltable_punch(p, ov->idx, page, &me, &old, &new)) {
			/* No dirty line of ours may land in the next owner's data. */
			morsel_cache_invalidate(morsel_frame_addr(p, old));
			morsel_frame_free(p, MORSEL_PTE_FRAME1(old) - 1);
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
	struct morsel_obj_entry *o = overlay_obj(ov);
	struct morsel_obj_stat st = {};
	u64 page, pages, counts[MORSEL_CNT_NR];
	unsigned int c;

	/* The UAPI counters end the structure, in the order of counters.h. */
	BUILD_BUG_ON(sizeof(st) - offsetof(struct morsel_obj_stat, read_faults) !=
		     sizeof(counts));
	st.size = READ_ONCE(o->size);
	st.max_size = morsel_obj_max_pages(p) << PAGE_SHIFT;
	st.index = ov->idx;
	st.gen = ov->gen;
	st.views = READ_ONCE(o->views);
	st.mapped = READ_ONCE(o->mapped);
	st.coherence = ov->coherence;
	pages = DIV_ROUND_UP(st.size, PAGE_SIZE);
	for (page = 0; page < pages; page++) {
		u64 e = READ_ONCE(*overlay_pte(ov, page));

		st.pages_present += !!MORSEL_PTE_FRAME1(e);
		st.pages_exclusive += MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE;
		st.pages_shared += MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED;
	}
	for (c = 0; c < MORSEL_CNT_NR; c++)
		counts[c] = atomic64_read(&ov->cnt.c[c]);
	memcpy((char *)&st + offsetof(struct morsel_obj_stat, read_faults), counts,
	       sizeof(counts));
	if (!overlay_live(ov))
		return -ESTALE;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

/* The authoritative entries of a range, or with @hw the pool's hardware ones. */
static long obj_entries(struct morsel_overlay *ov, void __user *uarg, bool hw)
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
	for (i = 0; i < req.count; i++) {
		u64 page = req.first + i;
		u64 *e = hw ? morsel_obj_hwpte(p, ov->idx, page) : overlay_pte(ov, page);

		if (put_user(READ_ONCE(*e), &out[i]))
			return -EFAULT;
	}
	return overlay_live(ov) ? 0 : -ESTALE;
}

/**
 * morsel_obj_resize() - change an object's size on every host.
 * @ov: this host's overlay.
 * @size: bytes.
 * @grow_only: leave a larger size as it is (a write that extends).
 *
 * Growing gives the object tables first; shrinking zeroes the rest of the
 * last page and punches the pages after it.
 *
 * Context: process context, no lock held; sleeps.
 * Return: 0, -EFBIG, -ENOSPC (no table left), -ESTALE, or an errno of
 * the punch.
 */
int morsel_obj_resize(struct morsel_overlay *ov, u64 size, bool grow_only)
{
	struct morsel_pool *p = ov->pool;
	u64 old, keep;
	int err;

	if (size > morsel_obj_max_pages(p) << PAGE_SHIFT)
		return -EFBIG;
	morsel_dir_lock(p);
	old = READ_ONCE(overlay_obj(ov)->size);
	/* Growing: the tables first. Shrinking keeps them, for racing faults. */
	err = overlay_live(ov) ? morsel_obj_grow(p, ov->idx, size) : -ESTALE;
	/* Shrinking: new faults beyond @size fail before the tail goes. */
	if (!err && (size > old || !grow_only)) {
		/* Release: the new tables before the size that reaches them. */
		smp_store_release(&overlay_obj(ov)->size, size);
		WRITE_ONCE(overlay_obj(ov)->mtime_ns, ktime_get_real_ns());
	}
	morsel_dir_unlock(p);
	if (err)
		return err;
	keep = DIV_ROUND_UP(size, PAGE_SIZE);
	if (size >= old || grow_only)
		return 0;
	/* What a later growth shows past @size must be zeros, as in a file. */
	if (offset_in_page(size)) {
		err = morsel_obj_zero(ov, size, min_t(u64, keep << PAGE_SHIFT, old));
		if (err)
			return err;
	}
	return morsel_obj_punch(ov, keep, DIV_ROUND_UP(old, PAGE_SIZE) - keep);
}

static long obj_resize(struct morsel_overlay *ov, u64 __user *uarg)
{
	u64 size;

	if (get_user(size, uarg))
		return -EFAULT;
	return size ? morsel_obj_resize(ov, size, false) : -EINVAL;
}

static long obj_punch_range(struct morsel_overlay *ov, void __user *uarg)
{
	u64 size = READ_ONCE(overlay_obj(ov)->size);
	struct morsel_punch req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!req.len || !PAGE_ALIGNED(req.offset | req.len) ||
	    req.offset >= size || req.len > ALIGN(size, PAGE_SIZE) - req.offset)
		return -EINVAL;
	return morsel_obj_punch(ov, req.offset >> PAGE_SHIFT, req.len >> PAGE_SHIFT);
}

static long obj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct morsel_overlay *ov = file->private_data;
	void __user *uarg = (void __user *)arg;
	int err = overlay_usable(ov);

	if (err)
		return err;
	switch (cmd) {
	case MORSEL_OBJ_STAT:
		return obj_stat(ov, uarg);
	case MORSEL_OBJ_ENTRIES:
		return obj_entries(ov, uarg, false);
	case MORSEL_OBJ_HWENTRIES:
		return obj_entries(ov, uarg, true);
	case MORSEL_OBJ_RESIZE:
		return obj_resize(ov, uarg);
	case MORSEL_OBJ_PUNCH:
		return obj_punch_range(ov, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Does a new mapping link the overlay's tables? Only a mapping that may
 * read and write and not execute (the tables are shared by all of the
 * host's mappings, with the host's access), and only if its chunks fall
 * on PMDs (morsel_get_unmapped_area() places it so unless MAP_FIXED).
 */
static bool obj_mmap_links(struct morsel_overlay *ov, struct vm_area_struct *vma)
{
	vm_flags_t rw = VM_READ | VM_WRITE;

	/* The DSM baselines fault and copy page by page, as IVY's do; plain too. */
	return ov->coherence == MORSEL_COHERENCE_LINES &&
	       READ_ONCE(morsel_map_mode) != MORSEL_MAP_FAULT &&
	       (vma->vm_flags & (rw | VM_EXEC)) == rw &&
	       IS_ALIGNED((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff, PTRS_PER_PTE);
}

static int obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	int err = 0;

	/*
	 * MAP_SHARED of a file opened read-only has VM_MAYSHARE only (mmap
	 * drops VM_SHARED when no write can come): LMDB's readers map so.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;	/* copy-on-write of pool pages: not offered */
	if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	/* Under the directory lock, so that a delete sees this mapping. */
	morsel_dir_lock(p);
	if (!overlay_live(ov)) {
		err = -ESTALE;
	} else {
		if (obj_mmap_links(ov, vma))
			vm_flags_set(vma, VM_MORSEL | VM_PFNMAP | VM_IO | VM_DONTEXPAND |
				     VM_DONTDUMP);
		else
			vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &morsel_overlay_vm_ops;
		morsel_overlay_mapped(ov, 1);
	}
	morsel_dir_unlock(p);
	/* Linking now saves the first fault per chunk; faults link otherwise. */
	if (!err && vma_is_morsel(vma) && READ_ONCE(morsel_map_mode) == MORSEL_MAP_EAGER)
		morsel_subtree_map(ov, vma);
	return err;
}

static int obj_release(struct inode *inode, struct file *file)
{
	morsel_overlay_put(file->private_data);
	return 0;
}

/* The same operations for a file of /dev/morsel and one of morselfs (fs.c). */
const struct file_operations morsel_obj_fops = {
	.owner = THIS_MODULE,
	.llseek = morsel_obj_llseek,
	.read_iter = morsel_obj_read_iter,
	.write_iter = morsel_obj_write_iter,
	.mmap = obj_mmap,
	.get_unmapped_area = morsel_get_unmapped_area,
	.release = obj_release,
	.fsync = morsel_overlay_fsync,
	.fallocate = morsel_obj_fallocate,
	.unlocked_ioctl = obj_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * A morselfs file's: the same, with record locks that hold across hosts
 * (filelock.c). Only there: a lock's copy in the VFS lives on one inode
 * per object and host, the file system's.
 */
const struct file_operations morsel_fs_obj_fops = {
	.owner = THIS_MODULE,
	.llseek = morsel_obj_llseek,
	.read_iter = morsel_obj_read_iter,
	.write_iter = morsel_obj_write_iter,
	.mmap = obj_mmap,
	.get_unmapped_area = morsel_get_unmapped_area,
	.release = obj_release,
	.fsync = morsel_overlay_fsync,
	.fallocate = morsel_obj_fallocate,
	.unlocked_ioctl = obj_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.lock = morsel_file_lock,
	.flock = morsel_file_flock,
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
	struct morsel_overlay *ov;
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	ov = morsel_overlay_get(p, idx, gen, true);
	if (IS_ERR(ov)) {
		put_unused_fd(fd);
		return PTR_ERR(ov);
	}
	file = morsel_overlay_file(ov, &morsel_obj_fops);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}
