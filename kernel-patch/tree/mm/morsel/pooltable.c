// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool's hardware page tables. Beside the authoritative entries of
 * every 2 MiB of an object (ownership.c), the coherent region holds an
 * x86-64 PTE table of the same 512 pages that any host's MMU may walk: a
 * page shared by the hosts is a present, read-only, user, special entry
 * with its accessed bit preset (no MMU ever writes to it), naming the
 * frame by the pool's physical address at the host that formatted it;
 * every other page is exactly 0 (never a swap entry to Linux). A host that
 * owns nothing in a 2 MiB links this table into its processes (subtree.c),
 * so reading an object another host wrote needs no table of its own.
 *
 * Soundness rests on one rule and one order:
 *  - A hardware entry is made present only by the host holding the page
 *    (EXCLUSIVE, before its release makes it SHARED:
 *    morsel_pooltable_release()), and cleared by a writer before it takes
 *    the page out of SHARED (morsel_pooltable_fault()). So a present entry
 *    names a page that is SHARED or whose holder is publishing it, and
 *    nobody publishes while a writer clears: the writer's compare-and-swap
 *    succeeds only if the page stayed SHARED, with no holder, meanwhile
 *    (the sequence field: no ABA). A holder's releases are serialised on
 *    the host and re-check that it still holds the page. A
 *    SHARED page may also have no hardware entry (a dead host's pages
 *    return unpublished): hosts then read it through a table of their own.
 *  - Reads through the pool's table do not fault, so linking is reading:
 *    a host sets its bit in the chunk's @linked set (a locked OR) before it
 *    links the table, and a writer reads @linked after it cleared the
 *    entry (a locked exchange). Whichever comes second sees the other: a
 *    host that linked earlier is revoked as a reader, one that links later
 *    finds the entry clear and faults.
 * Both hold only where every host maps the pool at one physical address
 * and the data is the pool's (not a host's shadow copy): elsewhere
 * (morsel_pooltable_usable()) hosts keep their own tables, and still keep
 * the pool's tables right for the others.
 */
#include <linux/device.h>
#include <linux/hash.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pgtable.h>
#include <linux/bit_spinlock.h>
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/* Ablation: never link the pool's tables (each host keeps its own). */
static bool pool_tables = true;
module_param(pool_tables, bool, 0644);
MODULE_PARM_DESC(pool_tables, "link the pool's hardware page tables where sound (new links)");

/**
 * morsel_hw_entry() - the hardware entry of a shared page.
 * @pfn: its frame, by the formatter's physical address of the pool.
 *
 * Return: present, read-only, user, accessed, special and no-execute.
 */
u64 morsel_hw_entry(unsigned long pfn)
{
	return pte_val(pte_mkspecial(pte_mkyoung(pfn_pte(pfn, PAGE_READONLY))));
}

/**
 * morsel_obj_hwpte() - the hardware entry of a page, in the pool.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index, below morsel_obj_max_pages().
 *
 * Return: a pointer into the coherent region (the hole's for a page
 * beyond the largest size the object had).
 */
u64 *morsel_obj_hwpte(struct morsel_pool *p, unsigned int idx, u64 page)
{
	return morsel_hwtable_ptr(p, morsel_obj_table(p, idx, page / PTRS_PER_PTE)) +
	       page % PTRS_PER_PTE;
}

/*
 * A page's authoritative entry (*@pte) and its hardware entry, from one
 * read of the chunk directory; NULL for a page in the hole, which nobody
 * shows.
 */
static u64 *entries(struct morsel_pool *p, unsigned int idx, u64 page, u64 **pte)
{
	u32 t = morsel_obj_table(p, idx, page / PTRS_PER_PTE);

	*pte = morsel_table_ptr(p, t) + page % PTRS_PER_PTE;
	return t ? morsel_hwtable_ptr(p, t) + page % PTRS_PER_PTE : NULL;
}

/* The frame of an entry, as the pool's tables name it. */
static unsigned long hw_pfn(struct morsel_pool *p, u64 e)
{
	return PHYS_PFN(p->sb->phys + p->sb->data_off) + MORSEL_PTE_FRAME1(e) - 1;
}

/*
 * This host's releases of a page, one at a time: a fault's read fill, the
 * recall handler (which may serve a recall with no overlay) and an
 * overlay's last close may each give the same page up. The one that
 * publishes must still hold the page then, or it could show the page
 * while another host's writer holds it (found by tests/ownership.pml).
 * Hashed by page; a bit in one word each.
 */
static unsigned long publish_locks;

static unsigned int publish_lock_bit(unsigned int idx, u64 page)
{
	return hash_64(((u64)idx << 48) ^ page, 6);
}

/* A holder's step on a page, under the page's publish lock. */
static int holder_step(struct morsel_pool *p, unsigned int idx, u64 page,
		       morsel_own_step_t step, const struct morsel_own_req *req,
		       u64 *old, u64 *new, bool publish)
{
	unsigned int bit = publish_lock_bit(idx, page);
	u64 *pte, *hw = entries(p, idx, page, &pte), e;
	int ret;

	bit_spin_lock(bit, &publish_locks);
	e = READ_ONCE(*pte);
	if (publish && hw && morsel_pte_owned_by(e, p->host_id) &&
	    (!req->expect || req->expect == e)) {
		/* The write-back before the entry (a locked cmpxchg shares next). */
		smp_wmb();
		WRITE_ONCE(*hw, morsel_hw_entry(hw_pfn(p, e)));
	}
	ret = morsel_pte_update(pte, step, req, old, new);
	bit_spin_unlock(bit, &publish_locks);
	return ret;
}

/**
 * morsel_pooltable_release() - show a page in the pool's table and release it.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index.
 * @step: morsel_own_release() or morsel_own_leave().
 * @req: its request (this host; @req->expect is honoured).
 * @old: the entry the step was applied to.
 * @new: the entry installed.
 *
 * If this host owns the page (the entry @req expects), its hardware entry
 * is made present before the step makes the page shared; the caller has
 * written the page back. Serialised with this host's other steps on the
 * page as its holder, so that only a holder publishes.
 *
 * Return: what morsel_pte_update() returns.
 */
int morsel_pooltable_release(struct morsel_pool *p, unsigned int idx, u64 page,
			     morsel_own_step_t step, const struct morsel_own_req *req,
			     u64 *old, u64 *new)
{
	return holder_step(p, idx, page, step, req, old, new, true);
}

/**
 * morsel_pooltable_punch() - remove a page this host holds.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index.
 * @req: this host.
 * @old: the entry the step was applied to.
 * @new: the entry installed (NONE).
 *
 * morsel_own_punch() under the page's publish lock: a release of the same
 * page on this host (a read fill, an overlay's last close) that checked
 * the page is still held either shows it before the punch or sees it
 * gone, never shows a frame the punch freed.
 *
 * Return: what morsel_pte_update() returns.
 */
int morsel_pooltable_punch(struct morsel_pool *p, unsigned int idx, u64 page,
			   const struct morsel_own_req *req, u64 *old, u64 *new)
{
	return holder_step(p, idx, page, morsel_own_punch, req, old, new, false);
}

/**
 * morsel_pooltable_fault() - morsel_own_fault() with the pool's table kept right.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index.
 * @req: the faulting host (its @linked is filled in here).
 * @old: the entry the transition was applied to.
 * @new: the entry installed.
 *
 * A write to a SHARED page clears its hardware entry before each attempt,
 * then reads who linked the chunk: they are revoked with the readers (the
 * order in the header comment). Other faults are morsel_pte_update().
 *
 * Return: enum morsel_own_action, as morsel_own_fault(), or -ESTALE for a
 * page with no table (the caller's view of the object keeps its tables:
 * directory.c).
 */
int morsel_pooltable_fault(struct morsel_pool *p, unsigned int idx, u64 page,
			   struct morsel_own_req *req, u64 *old, u64 *new)
{
	struct morsel_chunk *c = morsel_obj_chunk(p, idx, page / PTRS_PER_PTE);
	u64 *pte, *hw = entries(p, idx, page, &pte);
	int ret;

	/* The hole is every table-less chunk's: a fill there shows in all. */
	if (WARN_ON_ONCE(!morsel_obj_table(p, idx, page / PTRS_PER_PTE)))
		return -ESTALE;
	for (;;) {
		*old = READ_ONCE(*pte);
		req->linked = 0;
		if ((req->flags & MORSEL_OWN_WRITE) && hw &&
		    MORSEL_PTE_STATE(*old) == MORSEL_PTE_SHARED) {
			/* Locked: a full barrier before @linked is read. */
			xchg(hw, 0);
			req->linked = READ_ONCE(c->linked);
		}
		ret = morsel_own_fault(*old, req, new);
		if (ret < 0 || *new == *old)
			return ret;
		if (pool_cmpxchg(pte, *old, *new) == *old)
			return ret;
	}
}

/**
 * morsel_pooltable_link() - this host is about to link a chunk's pool table.
 * @p: the pool.
 * @idx: directory index.
 * @chunk: chunk index.
 *
 * Return: the page of the pool's table to link, or NULL for the hole.
 */
struct page *morsel_pooltable_link(struct morsel_pool *p, unsigned int idx, u64 chunk)
{
	struct morsel_chunk *c = morsel_obj_chunk(p, idx, chunk);
	u32 t = morsel_obj_table(p, idx, chunk);

	if (!t)
		return NULL;
	/* Locked (a full barrier) before any walk of the table: see above. */
	if (!(READ_ONCE(c->linked) & BIT(p->host_id)))
		pool_or32(&c->linked, BIT(p->host_id));
	return morsel_pooltable_page(p, t);
}

/**
 * morsel_pooltable_page() - the struct page of a pair's hardware table.
 * @p: the pool, with its hardware tables mapped (@p->hwtables).
 * @t: the pair.
 *
 * Return: the page.
 */
struct page *morsel_pooltable_page(struct morsel_pool *p, u32 t)
{
	return pfn_to_page(PHYS_PFN(p->phys + p->sb->tables_off +
				    (u64)t * MORSEL_TABLE_BYTES + PAGE_SIZE));
}

/**
 * morsel_pooltable_usable() - may this host link the pool's tables?
 * @p: the pool.
 *
 * Return: true with struct pages over the coherent region, the pool at the
 * formatter's physical address, the pool's own frames mapped (no
 * stale-cache shadows), and morsel.pool_tables on.
 */
bool morsel_pooltable_usable(struct morsel_pool *p)
{
	return p->hwtables && READ_ONCE(pool_tables) && !morsel_stale_cache;
}

/**
 * morsel_pooltable_attach() - give the coherent region struct pages.
 * @p: the pool, attached.
 * @dev: the pool's device (the memmap is its resource).
 *
 * Linux's fault path reaches a PTE table through its struct page (the
 * split PTE lock) and the direct map, so the coherent region becomes
 * ZONE_DEVICE memory of the generic kind, as device DAX makes its ranges,
 * and every hardware table gets its PTE lock (this host's own: hosts
 * change pool entries with atomics, never under a lock of another host).
 * Without it, or where the pool sits at another physical address than
 * at its formatter, the host keeps tables of its own.
 */
void morsel_pooltable_attach(struct morsel_pool *p, struct device *dev)
{
	struct dev_pagemap *pgmap;
	void *addr;
	u32 t;

	if (p->phys != p->sb->phys) {
		pr_info("morsel: pool at %pa here, at %#llx where it was formatted: tables of this host's own only\n",
			&p->phys, p->sb->phys);
		return;
	}
	pgmap = devm_kzalloc(dev, sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return;
	pgmap->type = MEMORY_DEVICE_GENERIC;
	pgmap->range.start = p->phys;
	pgmap->range.end = p->phys + p->sb->coherent_size - 1;
	pgmap->nr_range = 1;
	addr = devm_memremap_pages(dev, pgmap);
	if (IS_ERR(addr)) {
		pr_warn("morsel: no struct pages for the coherent region (%ld): tables of this host's own only\n",
			PTR_ERR(addr));
		return;
	}
	for (t = 1; t < p->sb->ntables; t++) {
		if (!ptlock_init(page_ptdesc(morsel_pooltable_page(p, t)))) {
			pr_warn("morsel: no PTE locks for the pool's tables: tables of this host's own only\n");
			return;	/* the locks taken stay with the memmap */
		}
	}
	p->hwtables = true;
	pr_info("morsel: %llu hardware page tables of the pool may be linked (%d coherent bytes per 4 KiB page)\n",
		p->sb->ntables - 1, MORSEL_TABLE_BYTES / PTRS_PER_PTE);
}
