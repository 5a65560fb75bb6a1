// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pool superblock: layout computation, checksum and validation.
 *
 * Pure functions on a superblock image, so that KUnit can drive every way
 * a pool can be corrupt or incompatible without a pool. pool.c applies them
 * to the real superblock.
 */
#include <linux/crc32.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include "internal.h"

/**
 * morsel_sb_csum() - checksum of a superblock image.
 * @sb: the superblock.
 *
 * Covers every byte after @sb->csum, so @magic (the format lock) may change
 * without invalidating it.
 *
 * Return: the crc32 to store in or compare with @sb->csum.
 */
u32 morsel_sb_csum(const struct morsel_sb *sb)
{
	const u8 *start = (const u8 *)&sb->version;
	const u8 *end = (const u8 *)(sb + 1);

	return crc32_le(~0U, start, end - start) ^ ~0U;
}

/**
 * morsel_sb_layout() - compute the layout of a new pool.
 * @sb: superblock image to fill (all fields but @magic).
 * @pool_size: bytes of the pool range.
 * @coherent_size: bytes of the coherent region at the start of the pool.
 * @lease_ms: a host silent for this long is declared dead.
 * @uuid: identity of the new pool.
 * @phys: the pool's physical address on the formatting host, which the
 *	pool's hardware page tables name frames by (pooltable.c).
 *
 * Return: 0, or -EINVAL if the pool is too small for the layout.
 */
int morsel_sb_layout(struct morsel_sb *sb, u64 pool_size, u64 coherent_size,
		     u32 lease_ms, const u64 uuid[2], u64 phys)
{
	u64 off;

	memset(sb, 0, sizeof(*sb));
	sb->version = MORSEL_POOL_VERSION;
	sb->pool_size = pool_size;
	sb->max_hosts = MORSEL_MAX_HOSTS;
	sb->ring_slots = MORSEL_RING_SLOTS;
	sb->slot_size = sizeof(struct morsel_slot);
	sb->host_entry_size = sizeof(struct morsel_host_entry);
	sb->lease_ms = lease_ms;
	sb->phys = phys;
	sb->uuid[0] = uuid[0];
	sb->uuid[1] = uuid[1];

	off = PAGE_SIZE;
	sb->registry_off = off;
	off += PAGE_ALIGN(MORSEL_MAX_HOSTS * sizeof(struct morsel_host_entry));
	sb->rings_off = off;
	off += PAGE_ALIGN(MORSEL_MAX_HOSTS * MORSEL_MAX_HOSTS *
			  sizeof(struct morsel_ring));
	sb->scratch_off = off;
	off += MORSEL_SCRATCH_SIZE;
	sb->heap_off = off;

	coherent_size = ALIGN(max_t(u64, coherent_size, MORSEL_MIN_COHERENT), SZ_2M);
	if (coherent_size < off || coherent_size + SZ_2M > pool_size)
		return -EINVAL;
	sb->coherent_size = coherent_size;
	sb->data_off = coherent_size;

	/* A page-table entry holds frame + 1 in 28 bits. */
	if (morsel_sb_frames(sb) >= (1ULL << 28) - 1)
		return -EINVAL;
	sb->dir_off = off;
	off += PAGE_ALIGN(sizeof(struct morsel_dir));
	sb->bitmap_off = off;
	off += PAGE_ALIGN(DIV_ROUND_UP(morsel_sb_frames(sb), 64) * 8);
	/* A chunk directory covers an object as large as the data region. */
	sb->cdir_off = off;
	sb->cdir_bytes = PAGE_ALIGN(morsel_sb_chunks(sb) * sizeof(struct morsel_chunk));
	off += sb->cdir_bytes * MORSEL_MAX_OBJECTS;
	/* The rest: table pairs and their bitmap (a page of bitmap per 32768). */
	sb->tmap_off = off;
	if (off + PAGE_SIZE + MORSEL_TABLE_BYTES > coherent_size)
		return -EINVAL;
	sb->ntables = (coherent_size - off) / MORSEL_TABLE_BYTES;
	off += PAGE_ALIGN(DIV_ROUND_UP(sb->ntables, 64) * 8);
	sb->tables_off = off;
	if (off >= coherent_size)
		return -EINVAL;
	sb->ntables = min(sb->ntables, (coherent_size - off) / MORSEL_TABLE_BYTES);
	if (sb->ntables < 2 || sb->ntables > U32_MAX)
		return -EINVAL;
	sb->csum = morsel_sb_csum(sb);
	return 0;
}

/**
 * morsel_sb_check() - validate a superblock image against the pool range.
 * @sb: the superblock read from the pool.
 * @range_size: bytes of the range this host attached.
 * @why: buffer for a human-readable reason on failure.
 * @len: size of @why.
 *
 * Return: 0 if the pool can be used; -ENODATA if it carries no morsel pool
 * signature, -EUCLEAN if it is corrupt, -EPROTONOSUPPORT if it was made by
 * an incompatible version, -EINVAL if it does not fit this range.
 */
int morsel_sb_check(const struct morsel_sb *sb, u64 range_size, char *why,
		    size_t len)
{
	u32 csum;
	u64 rings_end;

	if (sb->magic != MORSEL_POOL_MAGIC) {
		snprintf(why, len, "no morsel pool signature (magic %#llx)",
			 sb->magic);
		return -ENODATA;
	}
	csum = morsel_sb_csum(sb);
	if (csum != sb->csum) {
		snprintf(why, len, "corrupt superblock: checksum %#x, expected %#x",
			 sb->csum, csum);
		return -EUCLEAN;
	}
	if (sb->version != MORSEL_POOL_VERSION) {
		snprintf(why, len, "incompatible pool version %u (this kernel speaks %u)",
			 sb->version, MORSEL_POOL_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (sb->max_hosts != MORSEL_MAX_HOSTS ||
	    sb->ring_slots != MORSEL_RING_SLOTS ||
	    sb->slot_size != sizeof(struct morsel_slot) ||
	    sb->host_entry_size != sizeof(struct morsel_host_entry)) {
		snprintf(why, len,
			 "incompatible geometry: %u hosts, %u slots of %u bytes, host entry %u bytes",
			 sb->max_hosts, sb->ring_slots, sb->slot_size,
			 sb->host_entry_size);
		return -EPROTONOSUPPORT;
	}
	rings_end = sb->rings_off + (u64)MORSEL_MAX_HOSTS * MORSEL_MAX_HOSTS *
				    sizeof(struct morsel_ring);
	if (sb->registry_off < sizeof(*sb) ||
	    sb->rings_off < sb->registry_off + MORSEL_MAX_HOSTS *
			    sizeof(struct morsel_host_entry) ||
	    sb->scratch_off < rings_end ||
	    sb->heap_off < sb->scratch_off + MORSEL_SCRATCH_SIZE ||
	    sb->coherent_size < sb->heap_off ||
	    sb->data_off != sb->coherent_size ||
	    sb->data_off >= sb->pool_size ||
	    !IS_ALIGNED(sb->registry_off | sb->rings_off | sb->scratch_off |
			sb->heap_off | sb->data_off, PAGE_SIZE)) {
		snprintf(why, len, "corrupt superblock: inconsistent layout");
		return -EUCLEAN;
	}
	if (sb->dir_off != sb->heap_off || morsel_sb_frames(sb) >= (1ULL << 28) - 1 ||
	    sb->bitmap_off < sb->dir_off + sizeof(struct morsel_dir) ||
	    sb->cdir_off < sb->bitmap_off + DIV_ROUND_UP(morsel_sb_frames(sb), 64) * 8 ||
	    /* Upper bounds first: no sum below can wrap around. */
	    sb->cdir_off > sb->coherent_size || sb->cdir_bytes > sb->coherent_size ||
	    sb->tmap_off > sb->coherent_size || sb->tables_off > sb->coherent_size ||
	    sb->ntables < 2 || sb->ntables > U32_MAX ||
	    sb->cdir_bytes < morsel_sb_chunks(sb) * sizeof(struct morsel_chunk) ||
	    sb->tmap_off < sb->cdir_off + sb->cdir_bytes * MORSEL_MAX_OBJECTS ||
	    sb->tables_off < sb->tmap_off + DIV_ROUND_UP(sb->ntables, 64) * 8 ||
	    !IS_ALIGNED(sb->cdir_off | sb->cdir_bytes | sb->tables_off, PAGE_SIZE) ||
	    sb->ntables > (sb->coherent_size - sb->tables_off) / MORSEL_TABLE_BYTES) {
		snprintf(why, len, "corrupt superblock: inconsistent object area");
		return -EUCLEAN;
	}
	if (sb->pool_size > range_size) {
		snprintf(why, len, "pool of %llu bytes does not fit the %llu-byte range",
			 sb->pool_size, range_size);
		return -EINVAL;
	}
	if (!sb->lease_ms) {
		snprintf(why, len, "corrupt superblock: lease of 0 ms");
		return -EUCLEAN;
	}
	return 0;
}
