// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool's two allocators: frames of the data region, and page-table
 * pairs of the coherent region. Each is one bit per unit (a 4 KiB frame,
 * an 8 KiB table pair) in the coherent region, set while the unit is in
 * use. Every host allocates with atomic
 * test-and-set, starting at its own share of the bitmap so that hosts
 * rarely contend for the same word. Units are named by their index, never
 * by an address.
 */
#include <linux/bitops.h>
#include <linux/bitmap.h>
#include "internal.h"

static unsigned long *frame_bitmap(struct morsel_pool *p)
{
	return morsel_pool_ptr(p, p->sb->bitmap_off);
}

static unsigned long *table_bitmap(struct morsel_pool *p)
{
	return morsel_pool_ptr(p, p->sb->tmap_off);
}

/* A free unit of @map (@n bits), from this host's share on. */
static s64 bitmap_take(struct morsel_pool *p, unsigned long *map, u64 n)
{
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
 * morsel_frame_alloc() - take a free frame of the data region.
 * @p: the pool.
 *
 * Return: the frame index, or -ENOSPC when the data region is full.
 */
s64 morsel_frame_alloc(struct morsel_pool *p)
{
	return bitmap_take(p, frame_bitmap(p), morsel_sb_frames(p->sb));
}

/**
 * morsel_table_alloc() - take a free table pair of the coherent region.
 * @p: the pool.
 *
 * Both tables are zeroed (every page untouched, nothing in the hardware
 * table). Pair 0, the hole, is marked in use at format and never given
 * out.
 *
 * Return: the table number, or -ENOSPC.
 */
s64 morsel_table_alloc(struct morsel_pool *p)
{
	s64 t = bitmap_take(p, table_bitmap(p), p->sb->ntables);

	if (t > 0)
		memset(morsel_table_ptr(p, t), 0, MORSEL_TABLE_BYTES);
	return t;
}

/**
 * morsel_table_free() - give a page table back.
 * @p: the pool.
 * @t: its number.
 */
void morsel_table_free(struct morsel_pool *p, u64 t)
{
	if (WARN_ON_ONCE(!t || t >= p->sb->ntables))
		return;
	WARN_ON_ONCE(!pool_test_and_clear_bit(t, table_bitmap(p)));
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

/**
 * morsel_frames_free() - how many frames of the data region are free.
 * @p: the pool.
 *
 * A count of the bitmap as it is while it is read (statfs).
 *
 * Return: free frames.
 */
u64 morsel_frames_free(struct morsel_pool *p)
{
	u64 n = morsel_sb_frames(p->sb);

	return n - bitmap_weight(frame_bitmap(p), n);
}
