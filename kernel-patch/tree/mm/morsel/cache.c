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
 * host maps a host-local shadow copy of every pool page it may access
 * (copy.c; not of a plain object's, which stands for coherent hardware):
 * the shadow is filled from the pool when access is granted
 * ("the cache misses"), written back by copying its changed lines to the
 * pool, and invalidated by dropping it. A protocol bug then shows up as
 * lost or stale data.
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
