// SPDX-License-Identifier: GPL-2.0-only
/*
 * The overlay as a page-table subtree. For every 2 MiB of an object that
 * this host maps, one PTE table in host memory holds the host's view of
 * those 512 pages: a read-only entry for a page it may read, a writable
 * one for a page it owns, nothing for the others. Every process of the
 * host that maps the object links the same table with one PMD entry, so
 * a second process maps 2 MiB with one fault instead of 512, and
 * revoking a page is one entry cleared plus a TLB flush of each address
 * space that maps it.
 *
 * A mapping links only where it covers a whole 2 MiB of the object at a
 * 2 MiB-aligned address (obj_get_unmapped_area() places it so); an
 * unaligned head or tail is mapped page by page in the process's own
 * tables, and so is every mapping in the per-page mode (morsel.map=fault)
 * kept for comparison. Such mappings carry VM_MORSEL: core mm unlinks
 * their tables at unmap (morsel_unlink_pmd()), never zaps or frees them,
 * fork does not copy them and mremap refuses them.
 *
 * Where the host owns nothing of a 2 MiB and may link the pool's own
 * hardware table of it (pooltable.c), mappings link that table instead
 * (ov->pooled), and the host has no table of its own for it: reads of
 * shared pages never fault, and a recall flushes the linking address
 * spaces (the writer cleared the pool's entry). The first write, or a read
 * of a page the pool's table does not show, gives the host its own table
 * of the chunk and moves every mapping of the host onto it
 * (subtree_privatize()).
 *
 * Locking: an entry of a table changes under ov->lock and the table's
 * split PTE lock, which is also the lock the core fault path takes for it
 * (pte_lockptr() of a linked PMD is the table's); a PMD is linked under
 * the process's pmd_lock(), and unlinked under it by the core unmap path.
 * ov->tables gains tables under ov->lock and loses them under it too: a
 * relink (morsel_subtree_relink()) frees a table once no PMD names it,
 * after an RCU grace period; the rest go when the overlay is freed. A
 * lock-free reader that looks into a table does so under rcu_read_lock().
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/pgalloc.h>
#include <linux/pgtable.h>
#include <asm/tlb.h>
#include <trace/events/morsel.h>
#include "../internal.h"
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/* How object mappings are made, for new mappings (morsel.map=). */
enum morsel_map_mode morsel_map_mode = MORSEL_MAP_LINK;

static const char *const map_mode_names[] = {
	[MORSEL_MAP_FAULT] = "fault",
	[MORSEL_MAP_LINK] = "link",
	[MORSEL_MAP_EAGER] = "eager",
};

static int map_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(map_mode_names, val);

	if (i < 0) {
		pr_err("morsel: map=%s: expected fault, link or eager\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(morsel_map_mode, i);
	return 0;
}

static int map_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", map_mode_names[READ_ONCE(morsel_map_mode)]);
}

static const struct kernel_param_ops map_mode_ops = {
	.set = map_mode_set,
	.get = map_mode_get,
};
module_param_cb(map, &map_mode_ops, NULL, 0644);
MODULE_PARM_DESC(map, "object mappings: link (one PMD per 2 MiB, on the first fault), eager (linked at mmap) or fault (per page)");

/* The object page mapped at @addr of @vma. */
static u64 vma_page(struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/**
 * morsel_vma_links() - does @vma link the overlay's table at @addr?
 * @vma: a mapping of an object.
 * @addr: an address in it.
 *
 * Return: true where the mapping covers the whole 2 MiB around @addr; the
 * mapping's placement (checked at mmap) makes that 2 MiB one chunk.
 */
bool morsel_vma_links(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long start = addr & PMD_MASK;

	return vma_is_morsel(vma) && start >= vma->vm_start &&
	       start + PMD_SIZE <= vma->vm_end;
}

/* ov->tables mark: the chunk was prefilled once (subtree_prefill()). */
#define SUBTREE_PREFILLED	XA_MARK_0

/*
 * The table of a chunk, or NULL. Context: ov->lock held, or
 * rcu_read_lock() to look into it (a relink frees it after a grace period).
 */
static struct ptdesc *subtree_table(struct morsel_overlay *ov, u64 chunk)
{
	return xa_load(&ov->tables, chunk);
}

/* Do this host's mappings of a chunk link the pool's table? Context: any. */
static bool subtree_pooled(struct morsel_overlay *ov, u64 chunk)
{
	return xa_load(&ov->pooled, chunk);
}

/* Is the table a PMD of a chunk names one of ours (or the pool's)? */
static bool subtree_pmd_ours(struct morsel_overlay *ov, u64 chunk, pmd_t pmd)
{
	struct ptdesc *t = subtree_table(ov, chunk);
	u32 pt;

	if (!pmd_present(pmd))
		return false;
	if (t && pmd_page(pmd) == ptdesc_page(t))
		return true;
	pt = ov->pool->hwtables ? morsel_obj_table(ov->pool, ov->idx, chunk) : 0;
	return pt && pmd_page(pmd) == morsel_pooltable_page(ov->pool, pt);
}

/* Does a PMD name a page of the pool's coherent region (a pool table)? */
static bool pmd_names_pool(struct morsel_pool *p, pmd_t pmd)
{
	unsigned long pfn = pmd_pfn(pmd);

	return pmd_present(pmd) && p->hwtables && pfn >= PHYS_PFN(p->phys) &&
	       pfn < PHYS_PFN(p->phys + p->sb->coherent_size);
}

/*
 * A table of the host's own counts the PMDs that link it in its page's
 * reference count (one for the table itself, one per link), as hugetlb
 * counts the sharers of a shared PMD table: it is freed only when no PMD
 * names it. Links and unlinks change the count under the PMD lock; the
 * pool's tables (ZONE_DEVICE pages) are not counted.
 */
static void subtree_unlinked(struct morsel_pool *p, pmd_t pmd)
{
	if (!pmd_names_pool(p, pmd))
		page_ref_dec(pmd_page(pmd));
}

/* The table of a chunk, made empty if there is none. Context: ov->lock held. */
static struct ptdesc *subtree_table_make(struct morsel_overlay *ov, u64 chunk)
{
	struct ptdesc *t = subtree_table(ov, chunk);

	lockdep_assert_held(&ov->lock);
	if (t)
		return t;
	/* Charged like a process's own tables, to the first that needs it. */
	t = pagetable_alloc(GFP_PGTABLE_USER, 0);
	if (!t)
		return NULL;
	if (!pagetable_pte_ctor(t)) {
		pagetable_free(t);
		return NULL;
	}
	if (xa_err(xa_store(&ov->tables, chunk, t, GFP_KERNEL))) {
		pagetable_pte_dtor(t);
		pagetable_free(t);
		return NULL;
	}
	morsel_count(ov, MORSEL_CNT_TABLES);
	return t;
}

static pte_t *table_pte(struct ptdesc *t, u64 page)
{
	return (pte_t *)ptdesc_address(t) + (page & (PTRS_PER_PTE - 1));
}

/* Clear every entry of a table. Context: ov->lock held. */
static void table_clear(struct ptdesc *t)
{
	unsigned int i;

	spin_lock(ptlock_ptr(t));
	for (i = 0; i < PTRS_PER_PTE; i++)
		pte_clear(NULL, 0, (pte_t *)ptdesc_address(t) + i);
	spin_unlock(ptlock_ptr(t));
}

/*
 * The entry a page gets: read-only, or writable for a page this host owns;
 * accessed and dirty preset so that no MMU writes to the table; special,
 * so that nothing looks for a struct page behind it.
 */
static pte_t subtree_entry(unsigned long pfn, bool write)
{
	pte_t pte = pfn_pte(pfn, write ? PAGE_SHARED : PAGE_READONLY);

	pte = pte_mkspecial(pte_mkyoung(pte));
	return write ? pte_mkdirty(pte) : pte;
}

static void subtree_prefill(struct morsel_overlay *ov, u64 chunk);

/*
 * Unlink table page @pg of a chunk from every mapping of this host,
 * flushing with freed-table semantics: no CPU here walks it for the chunk
 * afterwards. As khugepaged retracts page tables: i_mmap_rwsem keeps each
 * mapping's tables (free_pgtables() hides a mapping from i_mmap before it
 * frees them), the PMD lock orders us with the fault and unmap paths.
 * Context: ov->lock held.
 */
static void subtree_unlink(struct morsel_overlay *ov, u64 chunk, struct page *pg)
{
	struct address_space *mapping = ov->inode->i_mapping;
	u64 first = chunk * PTRS_PER_PTE;
	struct vm_area_struct *vma;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, first, first + PTRS_PER_PTE - 1) {
		struct mmu_notifier_range range;
		unsigned long addr;
		spinlock_t *ptl;	/* the PMD's */
		pmd_t *pmd;
		bool ours;

		if (first < vma->vm_pgoff)
			continue;
		addr = vma->vm_start + ((first - vma->vm_pgoff) << PAGE_SHIFT);
		if (!morsel_vma_links(vma, addr))
			continue;
		pmd = mm_find_pmd(vma->vm_mm, addr);
		if (!pmd)
			continue;
		mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm, addr,
					addr + PMD_SIZE);
		mmu_notifier_invalidate_range_start(&range);
		ptl = pmd_lock(vma->vm_mm, pmd);
		ours = pmd_present(*pmd) && pmd_page(*pmd) == pg;
		if (ours) {
			subtree_unlinked(ov->pool, *pmd);
			pmd_clear(pmd);
		}
		spin_unlock(ptl);
		if (ours) {
			flush_tlb_mm_range(vma->vm_mm, addr, addr + PMD_SIZE, PAGE_SHIFT, true);
			morsel_count(ov, MORSEL_CNT_UNLINKS);
		}
		mmu_notifier_invalidate_range_end(&range);
	}
	i_mmap_unlock_read(mapping);
}

/* Unlink the pool's table of a chunk from every mapping of this host. */
static void subtree_unlink_pool(struct morsel_overlay *ov, u64 chunk)
{
	u32 pt = morsel_obj_table(ov->pool, ov->idx, chunk);

	if (pt && ov->pool->hwtables)	/* the hole is never linked */
		subtree_unlink(ov, chunk, morsel_pooltable_page(ov->pool, pt));
}

/*
 * The host's mappings of a chunk linked the pool's table; give the host a
 * table of its own, prefilled, and move them onto it (they unlink here and
 * link the new table at their next fault). The host stays among the
 * chunk's linked hosts until its overlay goes: a CPU may still hold
 * entries of the pool's table until the flush, and the bit costs only
 * recalls. Context: ov->lock held.
 */
static int subtree_privatize(struct morsel_overlay *ov, u64 chunk)
{
	if (!subtree_table_make(ov, chunk))
		return -ENOMEM;
	xa_erase(&ov->pooled, chunk);
	morsel_count(ov, MORSEL_CNT_PRIVATIZED);
	subtree_prefill(ov, chunk);
	subtree_unlink_pool(ov, chunk);
	return 0;
}

/* Does this host hold no page of a chunk, nor take one now? Context: ov->lock held. */
static bool subtree_owns_none(struct morsel_overlay *ov, u64 chunk)
{
	u64 page = chunk * PTRS_PER_PTE, end = min(page + PTRS_PER_PTE, overlay_pages(ov)), e;
	u32 host = ov->pool->host_id;

	for (; page < end; page++) {
		e = READ_ONCE(*overlay_pte(ov, page));
		if ((MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE ||
		     MORSEL_PTE_STATE(e) == MORSEL_PTE_BUSY) && MORSEL_PTE_OWNER(e) == host)
			return false;
	}
	return true;
}

/**
 * morsel_subtree_relink() - return a chunk to the pool's table.
 * @ov: the overlay.
 * @chunk: a chunk (2 MiB of the object) this host may own nothing of now.
 *
 * Called after this host gave up pages (a recall, a release) and at every
 * tick. Where the host maps the chunk through a table of its own, owns
 * nothing of it, may link the pool's table and the policy agrees (its
 * relink hook; the default does), the table goes: it is unlinked from
 * every mapping of the host (freed-table flushes); once no PMD names it
 * (subtree_unlinked()), its entries are cleared and it is freed after an
 * RCU grace period, as khugepaged frees a retracted table (a walker of the
 * fault path may still hold a pointer to it: it finds its entry changed,
 * or its PMD, and retries). The next fault of each mapping links the
 * pool's table: the pages the host reads are shown there, and what others
 * wrote and shared meanwhile too, without a fault. The host stays in the
 * chunk's linked set.
 *
 * Context: no lock held; takes ov->lock.
 */
void morsel_subtree_relink(struct morsel_overlay *ov, u64 chunk)
{
	struct morsel_policy_ctx ctx;
	struct ptdesc *t;

	if (!xa_load(&ov->tables, chunk))
		return;	/* most calls (every chunk at every tick): nothing to do */
	mutex_lock(&ov->lock);
	t = subtree_table(ov, chunk);
	if (!t || READ_ONCE(ov->pool->state) != MORSEL_POOL_ONLINE ||
	    !overlay_pooltables(ov) || !morsel_obj_table(ov->pool, ov->idx, chunk) ||
	    !subtree_owns_none(ov, chunk))
		goto out;
	overlay_policy_ctx(ov, chunk * PTRS_PER_PTE, overlay_pages(ov), &ctx);
	if (morsel_policy_relink(&ctx) != MORSEL_RELINK_POOL)
		goto out;
	subtree_unlink(ov, chunk, ptdesc_page(t));
	/*
	 * Still linked: by a mapping that map=eager linked in mmap, before
	 * it was in i_mmap. Keep the table; its mappings link it again.
	 */
	if (page_ref_count(ptdesc_page(t)) != 1)
		goto out;
	table_clear(t);
	xa_erase(&ov->tables, chunk);
	pte_free_defer(NULL, ptdesc_page(t));
	morsel_count(ov, MORSEL_CNT_RELINKS);
	trace_morsel_relink(ov->idx, chunk * PTRS_PER_PTE, ov->pool->host_id);
out:
	mutex_unlock(&ov->lock);
}

/**
 * morsel_subtree_set() - map a page in the overlay's table.
 * @ov: the overlay.
 * @page: page index.
 * @pfn: the frame to map (the pool's, or this host's copy: copy.c).
 * @write: writable (this host owns the page).
 *
 * Makes the chunk's table on its first use, or when the host's mappings
 * linked the pool's table of it so far. Granting more access needs no
 * flush: a stale TLB entry only faults again.
 * Context: ov->lock held.
 * Return: 0 or -ENOMEM.
 */
int morsel_subtree_set(struct morsel_overlay *ov, u64 page, unsigned long pfn, bool write)
{
	struct ptdesc *t;

	if (subtree_pooled(ov, page / PTRS_PER_PTE) && subtree_privatize(ov, page / PTRS_PER_PTE))
		return -ENOMEM;
	t = subtree_table_make(ov, page / PTRS_PER_PTE);
	if (!t)
		return -ENOMEM;
	spin_lock(ptlock_ptr(t));
	set_pte(table_pte(t, page), subtree_entry(pfn, write));
	spin_unlock(ptlock_ptr(t));
	return 0;
}

/* Clear a page's entry; was it mapped? Context: ov->lock held. */
static bool subtree_clear(struct morsel_overlay *ov, u64 page)
{
	struct ptdesc *t = subtree_table(ov, page / PTRS_PER_PTE);
	pte_t *pte, old;

	if (!t)
		return false;
	pte = table_pte(t, page);
	/* Under the table's lock; A and D are preset, so no MMU races us. */
	spin_lock(ptlock_ptr(t));
	old = ptep_get(pte);
	pte_clear(NULL, 0, pte);
	spin_unlock(ptlock_ptr(t));
	return !pte_none(old);
}

/**
 * morsel_subtree_allows() - may this host access a page without a fault?
 * @ov: the overlay.
 * @page: page index.
 * @write: for a write.
 *
 * Context: any. A hint: the entry may be revoked right after.
 * Return: true if the overlay's table (or the pool's, where this host's
 * mappings link it) maps the page so.
 */
bool morsel_subtree_allows(struct morsel_overlay *ov, u64 page, bool write)
{
	struct morsel_pool *p = ov->pool;
	pte_t pte = __pte(0);
	struct ptdesc *t;

	rcu_read_lock();	/* a relink may free the table: subtree_table() */
	t = subtree_table(ov, page / PTRS_PER_PTE);
	if (t)
		pte = ptep_get(table_pte(t, page));
	else if (subtree_pooled(ov, page / PTRS_PER_PTE))
		pte = __pte(READ_ONCE(*morsel_obj_hwpte(p, ov->idx, page)));
	rcu_read_unlock();
	return pte_present(pte) && (!write || pte_write(pte));
}

/**
 * morsel_subtree_revoke() - take a page away from every process of this host.
 * @ov: the overlay.
 * @page: page index.
 *
 * Clears the page's entry in the overlay's table and flushes it from the
 * TLBs of every address space that maps it (also where they link the
 * pool's table, whose entry the revoking writer cleared); where a mapping
 * holds the page in its own tables (the per-page mode, an unaligned head
 * or tail), the page is zapped there instead.
 * Context: ov->lock held; takes i_mmap_rwsem.
 */
void morsel_subtree_revoke(struct morsel_overlay *ov, u64 page)
{
	struct address_space *mapping = ov->inode->i_mapping;
	struct morsel_chunk *c = morsel_obj_chunk(ov->pool, ov->idx, page / PTRS_PER_PTE);
	/* The writer cleared the pool's entry; TLBs here may still hold it. */
	bool was_mapped = subtree_clear(ov, page) ||
			  (READ_ONCE(c->linked) & BIT(ov->pool->host_id));
	struct vm_area_struct *vma;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, page, page) {
		unsigned long addr = vma->vm_start +
				     ((page - vma->vm_pgoff) << PAGE_SHIFT);
		struct mmu_notifier_range range;

		if (!morsel_vma_links(vma, addr)) {
			zap_page_range_single(vma, addr, PAGE_SIZE, NULL);
		} else if (was_mapped) {
			/* Secondary MMUs (KVM, SVA) let go of it as well. */
			mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm,
						addr, addr + PAGE_SIZE);
			mmu_notifier_invalidate_range_start(&range);
			flush_tlb_range(vma, addr, addr + PAGE_SIZE);
			mmu_notifier_invalidate_range_end(&range);
		}
	}
	i_mmap_unlock_read(mapping);
}

/*
 * Make a chunk readable without faults, as far as the pool allows without
 * waiting for anyone: every page with a frame that no other host writes
 * joins this host's reads (its old lines are dropped first, as a read
 * fault would), every page this host owns is mapped writable. Runs at the
 * chunk's first link on this host, so a first process pays 512
 * compare-and-swaps instead of 512 faults and later processes nothing; and
 * after an owner gave up its pages of the chunk. Context: ov->lock held.
 */
static void subtree_prefill(struct morsel_overlay *ov, u64 chunk)
{
	struct morsel_own_req req = overlay_req(ov, 0);
	u64 page = chunk * PTRS_PER_PTE, end, old, new;
	u32 host = ov->pool->host_id;

	end = min(page + PTRS_PER_PTE, overlay_pages(ov));
	for (; page < end; page++) {
		u64 *pte = overlay_pte(ov, page);
		unsigned long pfn;

		if (MORSEL_PTE_STATE(READ_ONCE(*pte)) == MORSEL_PTE_NONE)
			continue;
		if (morsel_pte_update(pte, morsel_own_fault, &req, &old, &new) !=
		    MORSEL_OWN_GRANTED)
			continue;
		if (!morsel_pte_read_by(old, host) && !morsel_pte_owned_by(old, host))
			morsel_overlay_invalidate(ov, page, new);
		pfn = morsel_overlay_pfn(ov, page, new);
		if (!pfn || morsel_subtree_set(ov, page, pfn, morsel_pte_owned_by(new, host)))
			break;
		morsel_count(ov, MORSEL_CNT_PREFILLS);
	}
	xa_set_mark(&ov->tables, chunk, SUBTREE_PREFILLED);
}

/**
 * morsel_subtree_prefill() - map every page of a chunk this host may have.
 * @ov: the overlay.
 * @chunk: the chunk (2 MiB of the object).
 *
 * Context: no lock held; takes ov->lock.
 */
void morsel_subtree_prefill(struct morsel_overlay *ov, u64 chunk)
{
	mutex_lock(&ov->lock);
	if (READ_ONCE(ov->pool->state) == MORSEL_POOL_ONLINE && subtree_table(ov, chunk))
		subtree_prefill(ov, chunk);
	mutex_unlock(&ov->lock);
}

/* Link table page @pg at @pmd of @mm. Context: ov->lock held. */
static int subtree_link_pmd(struct morsel_overlay *ov, struct mm_struct *mm, pmd_t *pmd,
			    struct page *pg, bool pool)
{
	spinlock_t *ptl = pmd_lock(mm, pmd);	/* the PMD's */
	int err = 0;

	if (pmd_none(*pmd)) {
		pmd_populate(mm, pmd, pg);
		morsel_count(ov, MORSEL_CNT_LINKS);
		if (pool)
			morsel_count(ov, MORSEL_CNT_POOL_LINKS);
		else
			page_ref_inc(pg);	/* see subtree_unlinked() */
	} else if (pmd_page(*pmd) != pg) {
		/* A table of the process's own where a whole 2 MiB is ours. */
		err = -EEXIST;
	}
	spin_unlock(ptl);
	return err;
}

/*
 * Link a table of the chunk of @page into @mm at @pmd: the pool's where
 * this host has none of its own and may (@may_pool: not for a write), else
 * this host's, made and prefilled at its first link.
 * Context: ov->lock held; mmap_lock held.
 */
static int subtree_link(struct morsel_overlay *ov, struct mm_struct *mm, pmd_t *pmd,
			u64 page, bool may_pool)
{
	u64 chunk = page / PTRS_PER_PTE;
	struct ptdesc *t = subtree_table(ov, chunk);
	struct page *pg;
	int err;

	if (READ_ONCE(ov->pool->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;	/* fenced: nothing links again */
	if (!t && may_pool && overlay_pooltables(ov)) {
		pg = morsel_pooltable_link(ov->pool, ov->idx, chunk);
		if (pg && (subtree_pooled(ov, chunk) ||
			   !xa_err(xa_store(&ov->pooled, chunk, xa_mk_value(1), GFP_KERNEL))))
			return subtree_link_pmd(ov, mm, pmd, pg, true);
	}
	if (subtree_pooled(ov, chunk)) {
		err = subtree_privatize(ov, chunk);
		if (err)
			return err;
		t = subtree_table(ov, chunk);
	}
	if (!t) {
		t = subtree_table_make(ov, chunk);
		if (!t)
			return -ENOMEM;
	}
	/* A table a grant made beside a fault has not been prefilled. */
	if (!xa_get_mark(&ov->tables, chunk, SUBTREE_PREFILLED))
		subtree_prefill(ov, chunk);
	return subtree_link_pmd(ov, mm, pmd, ptdesc_page(t), false);
}

/**
 * morsel_subtree_fault() - link the overlay's table where a fault needs it.
 * @ov: the overlay.
 * @vmf: the fault, in a part of the mapping that links (morsel_vma_links()).
 *
 * Context: the fault handler; takes ov->lock.
 * Return: 0 if linked (the access may still need the protocol), or a fault
 * code.
 */
vm_fault_t morsel_subtree_fault(struct morsel_overlay *ov, struct vm_fault *vmf)
{
	pmd_t pmd = pmdp_get_lockless(vmf->pmd);
	u64 chunk = vmf->pgoff / PTRS_PER_PTE;
	struct ptdesc *t;
	int err = 0;

	if (!pmd_none(pmd)) {
		/* Linked: the entry needs the protocol. Anything else is a bug. */
		if (WARN_ONCE(!subtree_pmd_ours(ov, chunk, pmd),
			      "morsel: a foreign PTE table under an object mapping"))
			return VM_FAULT_SIGBUS;
		t = subtree_table(ov, chunk);
		if (t && pmd_page(pmd) != ptdesc_page(t)) {
			/*
			 * Still the pool's table, linked by a mapping that
			 * privatization did not see yet (made at mmap before
			 * it was in i_mmap): unlink it, relinked at the retry.
			 */
			mutex_lock(&ov->lock);
			subtree_unlink_pool(ov, chunk);
			mutex_unlock(&ov->lock);
		}
		return 0;
	}
	mutex_lock(&ov->lock);
	err = subtree_link(ov, vmf->vma->vm_mm, vmf->pmd, vmf->pgoff,
			   !(vmf->flags & FAULT_FLAG_WRITE));
	mutex_unlock(&ov->lock);
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	if (WARN_ONCE(err == -EEXIST, "morsel: a foreign PTE table under an object mapping"))
		return VM_FAULT_SIGBUS;
	return err ? VM_FAULT_SIGBUS : 0;
}

/**
 * morsel_subtree_map() - link every whole 2 MiB of a new mapping (map=eager).
 * @ov: the overlay.
 * @vma: the mapping, being made (mmap_lock held for writing).
 *
 * Return: 0 or a negative errno.
 */
int morsel_subtree_map(struct morsel_overlay *ov, struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr;
	int err = 0;

	/* Only chunks of the object: a mapping may reach far beyond its end. */
	for (addr = ALIGN(vma->vm_start, PMD_SIZE);
	     !err && addr + PMD_SIZE <= vma->vm_end && vma_page(vma, addr) < overlay_pages(ov);
	     addr += PMD_SIZE) {
		pgd_t *pgd = pgd_offset(mm, addr);
		p4d_t *p4d = p4d_alloc(mm, pgd, addr);
		pud_t *pud = p4d ? pud_alloc(mm, p4d, addr) : NULL;
		pmd_t *pmd = pud ? pmd_alloc(mm, pud, addr) : NULL;

		if (!pmd)
			return -ENOMEM;
		mutex_lock(&ov->lock);
		err = subtree_link(ov, mm, pmd, vma_page(vma, addr), true);
		mutex_unlock(&ov->lock);
		cond_resched();
	}
	return err;
}

/**
 * morsel_unlink_pmd() - unmapping reached a PMD of a morsel mapping.
 * @tlb: the unmap's mmu_gather.
 * @vma: the mapping (VM_MORSEL).
 * @pmd: the PMD entry.
 * @addr: an address under it, in @vma.
 *
 * Called by zap_pmd_range() (mm/memory.c) for every present PMD of a
 * VM_MORSEL mapping. If it links the overlay's table (or the pool's),
 * clear the PMD and have the mmu_gather flush the range: every 4 KiB
 * entry of it, with
 * freed-table semantics (paging-structure caches and lockless walkers let
 * go of the table, as for an unshared hugetlb PMD table); the table stays
 * the overlay's (or the pool's).
 *
 * Context: mmap_lock held; the mapping's file holds the overlay.
 * Return: true if the PMD was unlinked, false if it is the process's own
 * table (zap it as usual).
 */
bool morsel_unlink_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
		       unsigned long addr)
{
	struct morsel_overlay *ov = vma->vm_file->private_data;
	spinlock_t *ptl;	/* the PMD's */
	bool ours;

	addr &= PMD_MASK;
	if (!morsel_vma_links(vma, addr))
		return false;
	ptl = pmd_lock(vma->vm_mm, pmd);
	/* Any table of the pool (even one since given to another chunk) is never zapped. */
	ours = subtree_pmd_ours(ov, vma_page(vma, addr) / PTRS_PER_PTE, *pmd) ||
	       pmd_names_pool(ov->pool, *pmd);
	if (ours) {
		subtree_unlinked(ov->pool, *pmd);
		pmd_clear(pmd);
	}
	spin_unlock(ptl);
	if (!ours)
		return false;
	/*
	 * The table's 4 KiB entries may be in this mm's TLBs (flush them
	 * page by page, not once per 2 MiB as for a huge PMD), and the PMD
	 * in its paging-structure caches.
	 */
	tlb_flush_pte_range(tlb, addr, PMD_SIZE);
	tlb_flush_pmd_range(tlb, addr, PMD_SIZE);
	tlb->freed_tables = 1;
	/*
	 * munmap drops the mapping from the overlay's i_mmap before the
	 * mmu_gather flushes: a revocation then would not flush this mm, and
	 * another thread could keep writing through a stale entry. Flush now
	 * unless the whole mm is going (exit: no other thread runs).
	 */
	if (!tlb->fullmm)
		flush_tlb_mm_range(vma->vm_mm, addr, addr + PMD_SIZE, PAGE_SHIFT, true);
	morsel_count(ov, MORSEL_CNT_UNLINKS);
	return true;
}

/**
 * morsel_subtree_clear_all() - empty every table of an overlay.
 * @ov: the overlay.
 *
 * This host was fenced: no process here may reach a page through a table
 * it still links. The pool's tables are unlinked at once; the caller then
 * unmaps the overlay (which unlinks the others).
 * Context: takes ov->lock.
 */
void morsel_subtree_clear_all(struct morsel_overlay *ov)
{
	struct ptdesc *t;
	unsigned long chunk;
	void *v;

	mutex_lock(&ov->lock);
	xa_for_each(&ov->pooled, chunk, v)
		subtree_unlink_pool(ov, chunk);
	xa_destroy(&ov->pooled);
	xa_for_each(&ov->tables, chunk, t)
		table_clear(t);
	mutex_unlock(&ov->lock);
}

/**
 * morsel_subtree_free() - free an overlay's tables.
 * @ov: the overlay, with no mapping left.
 *
 * Leaves the linked sets of the chunks whose pool tables it linked.
 * Every unlink flushed with freed-table semantics; on kernels that free
 * page tables by RCU, wait for lockless walkers once more.
 */
void morsel_subtree_free(struct morsel_overlay *ov)
{
	struct ptdesc *t;
	unsigned long chunk;

	if (overlay_entry_ours(ov))
		morsel_obj_forget_links(ov->pool, ov->idx, ov->pool->host_id);
	xa_destroy(&ov->pooled);
	if (xa_empty(&ov->tables))
		return;
	tlb_remove_table_sync_one();
	xa_for_each(&ov->tables, chunk, t) {
		/* A table a PMD still names is leaked, not freed under it. */
		if (WARN_ONCE(page_ref_count(ptdesc_page(t)) != 1,
			      "morsel: a table of object %u still linked %d times at free\n",
			      ov->idx, page_ref_count(ptdesc_page(t)) - 1))
			continue;
		pagetable_pte_dtor(t);
		pagetable_free(t);
	}
	xa_destroy(&ov->tables);
}

/**
 * morsel_get_unmapped_area() - place an object mapping so that it links.
 * @file: the object file.
 * @addr: hint.
 * @len: length.
 * @pgoff: first page.
 * @flags: mmap flags.
 *
 * Where the mapping will link, put page @pgoff at an address congruent to
 * it modulo 2 MiB, so that every whole 2 MiB chunk of the object in the
 * mapping lands on one PMD.
 *
 * Return: the address, or a negative errno.
 */
unsigned long morsel_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	if (READ_ONCE(morsel_map_mode) == MORSEL_MAP_FAULT)
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
	return morsel_pmd_unmapped_area(file, addr, len, pgoff, flags);
}

/**
 * morsel_pmd_unmapped_area() - place a mapping so that its pages fall on PMDs.
 * @file: the file mapped.
 * @addr: hint.
 * @len: length.
 * @pgoff: first page.
 * @flags: mmap flags.
 *
 * Puts page @pgoff at an address congruent to it modulo 2 MiB (unless
 * MAP_FIXED, or shorter than 2 MiB), as thp_get_unmapped_area() does.
 *
 * Return: the address, or a negative errno.
 */
unsigned long morsel_pmd_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	unsigned long off = (pgoff << PAGE_SHIFT) & ~PMD_MASK, ret;

	if ((flags & MAP_FIXED) || len < PMD_SIZE || len + PMD_SIZE < len)
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
	ret = mm_get_unmapped_area(current->mm, file, 0, len + PMD_SIZE, pgoff, flags);
	if (IS_ERR_VALUE(ret))
		return ret;
	return ret + ((off - ret) & ~PMD_MASK);
}
