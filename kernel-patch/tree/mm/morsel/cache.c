// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cache maintenance for the non-coherent data region, and the stale-cache
 * emulation that makes a missing write-back or invalidate visible.
 *
 * Normal mode: hosts map pool frames directly. Before a page stops being
 * exclusive its lines are written back (clwb per line, one sfence); before
 * a host may read data another host wrote, its lines are invalidated
 * (clflushopt per line).
 *
 * Stale-cache mode (morsel.stale_cache=1): every platform here is
 * hardware-coherent, so the mode above cannot fail visibly. Instead each
 * host maps a host-local shadow copy of every pool page it may access:
 * the shadow is filled from the pool when access is granted ("the cache
 * misses"), written back by copying it to the pool, and invalidated by
 * dropping it. A protocol bug then shows up as lost or stale data.
 */
#include <linux/highmem.h>
#include <linux/libnvdimm.h>
#include <linux/moduleparam.h>
#include <linux/cacheflush.h>
#include "internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

bool morsel_stale_cache;
module_param_named(stale_cache, morsel_stale_cache, bool, 0444);
MODULE_PARM_DESC(stale_cache, "emulate non-coherent caches with host-local shadow pages");

/*
 * Fault injection for the test suite: skip every write-back, so that the
 * tests can show that stale-cache mode turns a missing one into lost data.
 */
static bool debug_skip_writeback;
module_param(debug_skip_writeback, bool, 0444);
MODULE_PARM_DESC(debug_skip_writeback, "testing only: never write pages back");

/**
 * morsel_cache_writeback() - write a pool page's dirty lines back.
 * @addr: the page in the kernel's mapping of the pool.
 */
void morsel_cache_writeback(void *addr)
{
	arch_wb_cache_pmem(addr, PAGE_SIZE);
	/* One fence for the whole page: ordered before what we publish. */
	wmb();
}

/**
 * morsel_cache_invalidate() - drop this host's lines of a pool page.
 * @addr: the page in the kernel's mapping of the pool.
 */
void morsel_cache_invalidate(void *addr)
{
	clflush_cache_range(addr, PAGE_SIZE);
}

/**
 * morsel_shadow_get() - the shadow of a page, filled from the pool.
 * @xa: the overlay's shadows.
 * @page: page index in the object.
 * @pool_addr: the page in the kernel's mapping of the pool.
 *
 * Return: the shadow page, or NULL without memory.
 */
struct page *morsel_shadow_get(struct xarray *xa, u64 page, void *pool_addr)
{
	struct page *pg = xa_load(xa, page);

	if (pg)
		return pg;
	pg = alloc_page(GFP_KERNEL);
	if (!pg)
		return NULL;
	memcpy(page_address(pg), pool_addr, PAGE_SIZE);
	if (xa_err(xa_store(xa, page, pg, GFP_KERNEL))) {
		__free_page(pg);
		return NULL;
	}
	return pg;
}

/**
 * morsel_shadow_writeback() - copy a page's shadow to the pool.
 * @xa: the overlay's shadows.
 * @page: page index.
 * @pool_addr: the page in the kernel's mapping of the pool.
 *
 * Return: true if there was a shadow to write back.
 */
bool morsel_shadow_writeback(struct xarray *xa, u64 page, void *pool_addr)
{
	struct page *pg = xa_load(xa, page);

	if (!pg || debug_skip_writeback)
		return false;
	memcpy(pool_addr, page_address(pg), PAGE_SIZE);
	wmb();	/* the data before the entry that publishes it */
	return true;
}

/**
 * morsel_shadow_drop() - invalidate: forget a page's shadow.
 * @xa: the overlay's shadows.
 * @page: page index.
 *
 * The caller has unmapped the page from every process first.
 *
 * Return: true if there was a shadow.
 */
bool morsel_shadow_drop(struct xarray *xa, u64 page)
{
	struct page *pg = xa_erase(xa, page);

	if (pg)
		__free_page(pg);
	return !!pg;
}
