// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: superblock layout, checksum and every way validation refuses a
 * pool. Runs at boot (kunit.enable=1) on images, not on the pool.
 */
#include <kunit/test.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include "internal.h"

static const u64 uuid[2] = { 0x1122334455667788ULL, 0x99aabbccddeeff00ULL };

static struct morsel_sb *good_sb(struct kunit *test)
{
	struct morsel_sb *sb = kunit_kzalloc(test, sizeof(*sb), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sb);
	KUNIT_ASSERT_EQ(test, morsel_sb_layout(sb, SZ_256M, SZ_16M, 1500, uuid, 0), 0);
	sb->magic = MORSEL_POOL_MAGIC;
	return sb;
}

static int check(struct morsel_sb *sb, u64 range, char *why)
{
	return morsel_sb_check(sb, range, why, 128);
}

static void sb_layout_is_valid(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), 0);
	KUNIT_EXPECT_EQ(test, sb->coherent_size, (u64)SZ_16M);
	KUNIT_EXPECT_EQ(test, sb->data_off, (u64)SZ_16M);
	KUNIT_EXPECT_LT(test, sb->registry_off, sb->rings_off);
	KUNIT_EXPECT_LT(test, sb->rings_off, sb->scratch_off);
	KUNIT_EXPECT_LE(test, sb->heap_off, sb->coherent_size);
	KUNIT_EXPECT_EQ(test, sb->dir_off, sb->heap_off);
	KUNIT_EXPECT_LT(test, sb->bitmap_off, sb->cdir_off);
	KUNIT_EXPECT_LE(test, sb->cdir_off + sb->cdir_bytes * MORSEL_MAX_OBJECTS, sb->tmap_off);
	KUNIT_EXPECT_LT(test, sb->tmap_off, sb->tables_off);
	KUNIT_EXPECT_LE(test, sb->tables_off + sb->ntables * MORSEL_TABLE_BYTES,
			sb->coherent_size);
	/* Hardware page tables must be page-aligned. */
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(sb->tables_off, PAGE_SIZE));
	/* An object as large as the data region fits one chunk directory... */
	KUNIT_EXPECT_GE(test, sb->cdir_bytes / sizeof(struct morsel_chunk) * SZ_2M,
			SZ_256M - SZ_16M);
	/* ...and its tables fit the coherent region, several times over. */
	KUNIT_EXPECT_GE(test, (sb->ntables - 1) * SZ_2M, 2 * (u64)(SZ_256M - SZ_16M));
	/* 16 bytes of coherent memory per 4 KiB page, 8 more per 2 MiB. */
	KUNIT_EXPECT_EQ(test, MORSEL_TABLE_BYTES / PTRS_PER_PTE, 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct morsel_chunk), (size_t)8);
	/* tests/host/poolimg.c writes superblocks with these offsets. */
	KUNIT_EXPECT_EQ(test, offsetof(struct morsel_sb, csum), (size_t)8);
	KUNIT_EXPECT_EQ(test, offsetof(struct morsel_sb, version), (size_t)12);
	KUNIT_EXPECT_EQ(test, offsetof(struct morsel_sb, pool_size), (size_t)16);
	KUNIT_EXPECT_EQ(test, sizeof(struct morsel_sb), (size_t)176);
	/* One cache line per host entry and per slot. */
	KUNIT_EXPECT_EQ(test, sizeof(struct morsel_host_entry), (size_t)64);
	KUNIT_EXPECT_EQ(test, sizeof(struct morsel_slot), (size_t)64);
}

static void sb_too_small_pool(struct kunit *test)
{
	struct morsel_sb sb;

	KUNIT_EXPECT_EQ(test, morsel_sb_layout(&sb, SZ_16M, SZ_16M, 1500, uuid, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, morsel_sb_layout(&sb, SZ_4M, 0, 1500, uuid, 0), -EINVAL);
	/* The coherent region is at least MORSEL_MIN_COHERENT. */
	KUNIT_EXPECT_EQ(test, morsel_sb_layout(&sb, SZ_64M, 0, 1500, uuid, 0), 0);
	KUNIT_EXPECT_EQ(test, sb.coherent_size, (u64)MORSEL_MIN_COHERENT);
}

static void sb_refuses_no_magic(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	sb->magic = 0xdeadbeef;
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -ENODATA);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "no morsel pool signature"));
	sb->magic = MORSEL_POOL_FORMATTING;
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -ENODATA);
}

static void sb_refuses_bad_checksum(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	sb->rings_off += PAGE_SIZE;	/* one flipped field */
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "checksum"));
	sb = good_sb(test);
	sb->csum ^= 1;
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);
}

static void sb_magic_not_in_checksum(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	u32 c = morsel_sb_csum(sb);

	sb->magic = MORSEL_POOL_FORMATTING;
	KUNIT_EXPECT_EQ(test, morsel_sb_csum(sb), c);
}

static void sb_refuses_other_version(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	sb->version = MORSEL_POOL_VERSION + 1;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EPROTONOSUPPORT);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "incompatible pool version"));
}

static void sb_refuses_other_geometry(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	sb->ring_slots = 32;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EPROTONOSUPPORT);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "geometry"));
}

static void sb_refuses_inconsistent_layout(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	/* A checksummed but impossible layout: rings overlap the registry. */
	sb->rings_off = sb->registry_off;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "layout"));

	sb = good_sb(test);
	sb->data_off = sb->pool_size;
	sb->coherent_size = sb->pool_size;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);

	sb = good_sb(test);
	sb->lease_ms = 0;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);

	/* Tables whose end wraps around to within the coherent region. */
	sb = good_sb(test);
	sb->tables_off = 0 - 2 * (u64)PAGE_SIZE;
	sb->ntables = 2;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "object area"));

	/* More tables than the coherent region holds. */
	sb = good_sb(test);
	sb->ntables++;
	sb->csum = morsel_sb_csum(sb);
	KUNIT_EXPECT_EQ(test, check(sb, SZ_256M, why), -EUCLEAN);
}

static void sb_refuses_pool_larger_than_range(struct kunit *test)
{
	struct morsel_sb *sb = good_sb(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, check(sb, SZ_128M, why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "does not fit"));
	/* A larger range is fine: the pool uses what it was formatted with. */
	KUNIT_EXPECT_EQ(test, check(sb, SZ_512M, why), 0);
}

static struct kunit_case sb_cases[] = {
	KUNIT_CASE(sb_layout_is_valid),
	KUNIT_CASE(sb_too_small_pool),
	KUNIT_CASE(sb_refuses_no_magic),
	KUNIT_CASE(sb_refuses_bad_checksum),
	KUNIT_CASE(sb_magic_not_in_checksum),
	KUNIT_CASE(sb_refuses_other_version),
	KUNIT_CASE(sb_refuses_other_geometry),
	KUNIT_CASE(sb_refuses_inconsistent_layout),
	KUNIT_CASE(sb_refuses_pool_larger_than_range),
	{}
};

static struct kunit_suite sb_suite = {
	.name = "morsel_superblock",
	.test_cases = sb_cases,
};

kunit_test_suite(sb_suite);
