// SPDX-License-Identifier: GPL-2.0-only
/*
 * The frame allocator of the data region: one bit per 4 KiB frame in the
 * coherent region, set while the frame belongs to a page. Every host
 * allocates with atomic test-and-set, starting at its own share of the
 * bitmap so that hosts rarely contend for the same word. Frames are named
 * by their index in the data region, never by an address.
 */
#include <linux/bitops.h>
#include <linux/bitmap.h>
#include "internal.h"

static unsigned long *frame_bitmap(struct morsel_pool *p)
{
	return morsel_pool_ptr(p, p->sb->bitmap_off);
}

/**
 * morsel_frame_alloc() - take a free frame of the data region.
 * @p: the pool.
 *
 * Return: the frame index, or -ENOSPC when the data region is full.
 */
s64 morsel_frame_alloc(struct morsel_pool *p)
{
	unsigned long *map = frame_bitmap(p);
	u64 n = morsel_sb_frames(p->sb);
	u64 start = n / MORSEL_MAX_HOSTS * p->host_id, f;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (f = find_next_zero_bit(map, n, start); f < n;
		     f = find_next_zero_bit(map, n, f + 1)) {
			if (!pool_test_and_set_bit(f, map))
				return f;
		}
		start = 0;
	}
	return -ENOSPC;
}

/**
 * morsel_frame_free() - give a frame back.
 * @p: the pool.
 * @frame: its index.
 */
void morsel_frame_free(struct morsel_pool *p, u64 frame)
{
	if (WARN_ON_ONCE(frame >= morsel_sb_frames(p->sb)))
		return;
	WARN_ON_ONCE(!pool_test_and_clear_bit(frame, frame_bitmap(p)));
}
