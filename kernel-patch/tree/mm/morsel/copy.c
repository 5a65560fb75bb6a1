// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-local copies of pool pages. Three users, one mechanism:
 *
 *  - the stale-cache emulation (cache.c) of a morsel (MORSEL_COHERENCE_LINES)
 *    object: the copy stands for this host's cache lines of the page.
 *    Filled when access is granted ("the cache misses"), written back
 *    line by line (only the lines that changed reach the pool, as only
 *    dirty lines leave a cache), dropped to invalidate;
 *  - page-copy DSM (MORSEL_COHERENCE_PAGECOPY), the IVY-style baseline:
 *    a fault copies the whole 4 KiB page in, a release writes it all back;
 *  - twin-and-diff DSM (MORSEL_COHERENCE_TWINDIFF), the TreadMarks-style
 *    baseline: as page-copy, and when this host gets write access it takes
 *    a twin of its copy; a write-back sends only the 8-byte words that
 *    differ from the twin, then the twin catches up with the copy.
 *
 * The ownership protocol is the same for all: the copy modes only change
 * what a host maps (its copy, never the pool's frame or the pool's page
 * tables) and what a write-back or an invalidate does. What moves is
 * counted per object (counters.h: pages copied, bytes each way, lines
 * written back and those that had changed, copies held).
 *
 * Context: every function here runs under ov->lock, or on an overlay that
 * is being freed (nobody else has it).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

/*
 * Fault injection for the test suite: skip every write-back, so that the
 * tests can show that stale-cache mode turns a missing one into lost data.
 */
static bool debug_skip_writeback;
module_param(debug_skip_writeback, bool, 0444);
MODULE_PARM_DESC(debug_skip_writeback, "testing only: never write pages back");

#define WORDS_PER_LINE	(L1_CACHE_BYTES / sizeof(u64))

/*
 * A new host-local page holding @src (zeros if NULL), stored in @xa at
 * @page and counted as a copy held. NULL without memory.
 */
static struct page *copy_add(struct morsel_overlay *ov, struct xarray *xa, u64 page,
			     const void *src)
{
	struct page *pg = alloc_page(src ? GFP_KERNEL : GFP_KERNEL | __GFP_ZERO);

	if (!pg)
		return NULL;
	if (src)
		memcpy(page_address(pg), src, PAGE_SIZE);
	if (xa_err(xa_store(xa, page, pg, GFP_KERNEL))) {
		__free_page(pg);
		return NULL;
	}
	morsel_count(ov, MORSEL_CNT_COPY_PAGES);
	return pg;
}

static void copy_free(struct morsel_overlay *ov, struct page *pg)
{
	if (!pg)
		return;
	__free_page(pg);
	morsel_count_add(ov, MORSEL_CNT_COPY_PAGES, -1);
}

/*
 * A twin of the copy @pg, taken when this host gets write access to a
 * twin-and-diff page (it may write from now on). Returns false without
 * memory.
 */
static bool take_twin(struct morsel_overlay *ov, u64 page, struct page *pg)
{
	if (ov->coherence != MORSEL_COHERENCE_TWINDIFF || xa_load(&ov->twins, page))
		return true;
	return copy_add(ov, &ov->twins, page, page_address(pg));
}

/**
 * morsel_copy_get() - this host's copy of a page, filled from the pool.
 * @ov: the overlay; its object has copies here (overlay_copies()).
 * @page: page index.
 * @e: the page's entry, which grants this host access: if it owns the
 *	page, a twin-and-diff copy gets its twin.
 *
 * Return: the copy, or NULL without memory.
 */
struct page *morsel_copy_get(struct morsel_overlay *ov, u64 page, u64 e)
{
	void *pool = morsel_frame_addr(ov->pool, e);
	struct page *pg = xa_load(&ov->shadow, page);

	if (!pg) {
		/* Real hardware: no line of ours may be older than the pool. */
		if (!morsel_stale_cache)
			morsel_cache_invalidate(pool);
		pg = copy_add(ov, &ov->shadow, page, pool);
		if (!pg)
			return NULL;
		if (overlay_dsm(ov)) {
			morsel_count(ov, MORSEL_CNT_PAGES_COPIED);
			morsel_count_add(ov, MORSEL_CNT_BYTES_FROM_POOL, PAGE_SIZE);
		}
	}
	if (morsel_pte_owned_by(e, ov->pool->host_id) && !take_twin(ov, page, pg))
		return NULL;
	return pg;
}

/**
 * morsel_copy_fresh() - this host filled a page: its copy starts as zeros.
 * @ov: the overlay of a copy-mode object (not of a morsel object: its
 *	stale-cache shadow stands for cache lines, filled from the pool).
 * @page: page index.
 *
 * A DSM host makes a never-touched page locally; nothing comes from the
 * pool (the frame it filled holds zeros too). Without memory the copy is
 * made from the pool at the next access, as for any other page.
 */
void morsel_copy_fresh(struct morsel_overlay *ov, u64 page)
{
	if (!xa_load(&ov->shadow, page))
		copy_add(ov, &ov->shadow, page, NULL);
}

/* Write the lines of @src that differ from @dst; returns how many. */
static unsigned int write_dirty_lines(u64 *dst, const u64 *src)
{
	unsigned int line, n = 0;

	for (line = 0; line < PAGE_SIZE / L1_CACHE_BYTES; line++) {
		unsigned int w = line * WORDS_PER_LINE;

		if (!memcmp(dst + w, src + w, L1_CACHE_BYTES))
			continue;
		memcpy(dst + w, src + w, L1_CACHE_BYTES);
		n++;
	}
	return n;
}

/*
 * Twin-and-diff: write the words of @copy that differ from @twin to @dst,
 * then bring the twin up to date. Returns the words written.
 */
static unsigned int write_diff(u64 *dst, const u64 *copy, u64 *twin)
{
	unsigned int i, n = 0;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++) {
		if (copy[i] == twin[i])
			continue;
		WRITE_ONCE(dst[i], copy[i]);
		twin[i] = copy[i];
		n++;
	}
	return n;
}

/**
 * morsel_copy_writeback() - publish this host's copy of a page.
 * @ov: the overlay.
 * @page: page index.
 * @e: its entry (for the frame).
 *
 * A morsel page in stale-cache mode writes back the lines that changed,
 * a page-copy page all of it, a twin-and-diff page the words that differ
 * from its twin (none without a twin: this host never had write access
 * since it copied the page).
 */
void morsel_copy_writeback(struct morsel_overlay *ov, u64 page, u64 e)
{
	struct page *pg = xa_load(&ov->shadow, page), *twin;
	u64 *pool = morsel_frame_addr(ov->pool, e);
	unsigned int n;

	if (!pg || debug_skip_writeback)
		return;
	switch (ov->coherence) {
	case MORSEL_COHERENCE_PAGECOPY:
		memcpy(pool, page_address(pg), PAGE_SIZE);
		morsel_count_add(ov, MORSEL_CNT_BYTES_TO_POOL, PAGE_SIZE);
		break;
	case MORSEL_COHERENCE_TWINDIFF:
		twin = xa_load(&ov->twins, page);
		n = twin ? write_diff(pool, page_address(pg), page_address(twin)) : 0;
		morsel_count_add(ov, MORSEL_CNT_BYTES_TO_POOL, n * sizeof(u64));
		break;
	default:
		n = write_dirty_lines(pool, page_address(pg));
		morsel_count_add(ov, MORSEL_CNT_LINES_FLUSHED, PAGE_SIZE / L1_CACHE_BYTES);
		morsel_count_add(ov, MORSEL_CNT_LINES_DIRTY, n);
		morsel_count_add(ov, MORSEL_CNT_BYTES_TO_POOL, n * L1_CACHE_BYTES);
		break;
	}
	/* Real hardware: our stores to the pool leave our caches too. */
	if (!morsel_stale_cache && overlay_dsm(ov))
		morsel_cache_writeback(pool);
	wmb();	/* the data before the entry that publishes it */
}

/**
 * morsel_copy_drop() - invalidate: forget a page's copy and twin.
 * @ov: the overlay.
 * @page: page index.
 *
 * The caller has unmapped the page from every process first.
 */
void morsel_copy_drop(struct morsel_overlay *ov, u64 page)
{
	copy_free(ov, xa_erase(&ov->shadow, page));
	copy_free(ov, xa_erase(&ov->twins, page));
}

/**
 * morsel_copy_free_all() - free every copy and twin of a dying overlay.
 * @ov: the overlay, written back and unmapped.
 */
void morsel_copy_free_all(struct morsel_overlay *ov)
{
	struct page *pg;
	unsigned long i;

	xa_for_each(&ov->shadow, i, pg)
		copy_free(ov, pg);
	xa_for_each(&ov->twins, i, pg)
		copy_free(ov, pg);
	xa_destroy(&ov->shadow);
	xa_destroy(&ov->twins);
}
