// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the entries of the pool's hardware page tables (pooltable.c),
 * which every host's MMU may walk.
 */
#include <kunit/test.h>
#include <linux/pgtable.h>
#include "internal.h"

static void hw_entry_is_read_only_and_final(struct kunit *test)
{
	unsigned long pfn = 0x100123;
	pte_t pte = __pte(morsel_hw_entry(pfn));

	KUNIT_EXPECT_TRUE(test, pte_present(pte));
	KUNIT_EXPECT_EQ(test, pte_pfn(pte), pfn);
	KUNIT_EXPECT_FALSE(test, pte_write(pte));
	/* User-readable, never executable, not a struct page's. */
	KUNIT_EXPECT_TRUE(test, pte_val(pte) & _PAGE_USER);
	KUNIT_EXPECT_TRUE(test, pte_special(pte));
	KUNIT_EXPECT_FALSE(test, pte_exec(pte));
	KUNIT_EXPECT_FALSE(test, pte_devmap(pte));
	/* Accessed preset, dirty clear (read-only): no MMU writes the entry. */
	KUNIT_EXPECT_TRUE(test, pte_young(pte));
	KUNIT_EXPECT_FALSE(test, pte_dirty(pte));
	KUNIT_EXPECT_FALSE(test, pte_global(pte));
	/* Write-back memory: no cache-attribute bits. */
	KUNIT_EXPECT_EQ(test, pte_val(pte) & (_PAGE_PWT | _PAGE_PCD | _PAGE_PAT), 0ULL);
}

static void hw_entry_clear_is_zero(struct kunit *test)
{
	/* A cleared entry is exactly 0: Linux reads anything else as swap. */
	KUNIT_EXPECT_TRUE(test, pte_none(__pte(0)));
	KUNIT_EXPECT_NE(test, morsel_hw_entry(1), 0ULL);
}

static struct kunit_case pooltable_cases[] = {
	KUNIT_CASE(hw_entry_is_read_only_and_final),
	KUNIT_CASE(hw_entry_clear_is_zero),
	{}
};

static struct kunit_suite pooltable_suite = {
	.name = "morsel_pooltable",
	.test_cases = pooltable_cases,
};

kunit_test_suite(pooltable_suite);
