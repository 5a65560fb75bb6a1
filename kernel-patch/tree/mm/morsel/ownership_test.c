// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the ownership state machine of ownership.c, row by row of its
 * table, and the MRSW invariants after every transition.
 */
#include <kunit/test.h>
#include <linux/bits.h>
#include "internal.h"

#define H0 0
#define H1 1
#define H2 2

static u64 shared(u32 readers)
{
	return morsel_pte_make(MORSEL_PTE_SHARED, 0, readers, 8, 5);
}

static u64 excl(u32 owner)
{
	return morsel_pte_make(MORSEL_PTE_EXCLUSIVE, owner, 0, 8, 5);
}

static void own_fresh_page(struct kunit *test)
{
	u64 none = morsel_pte_make(MORSEL_PTE_NONE, 0, 0, 0, 3), new, e;
	u32 t;

	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(none));
	KUNIT_EXPECT_EQ(test, morsel_own_fault(none, H1, false, &new, &t), MORSEL_OWN_NEED_FRAME);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(none, H1, true, &new, &t), MORSEL_OWN_NEED_FRAME);
	e = morsel_own_fill(none, 41, H1, false);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(e), (u32)MORSEL_PTE_SHARED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(e), (u32)BIT(H1));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(e), 42ULL);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_SEQ(e), 4U);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(e));
	e = morsel_own_fill(none, 41, H1, true);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(e), (u32)MORSEL_PTE_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(e), (u32)H1);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(e));
}

static void own_read_shares(struct kunit *test)
{
	u64 new;
	u32 t;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H0)), H1, false, &new, &t),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)(BIT(H0) | BIT(H1)));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(new), 8ULL);
	/* Already a reader: nothing to change. */
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H1)), H1, false, &new, &t),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, new, shared(BIT(H1)));
}

static void own_write_revokes_readers(struct kunit *test)
{
	u64 e = shared(BIT(H0) | BIT(H1) | BIT(H2)), busy, done;
	u32 t;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(e, H1, true, &busy, &t), MORSEL_OWN_INVALIDATE);
	KUNIT_EXPECT_EQ(test, t, (u32)(BIT(H0) | BIT(H2)));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(busy), (u32)MORSEL_PTE_BUSY);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(busy), (u32)H1);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(busy));
	/* While BUSY, everyone else waits, for reads and writes. */
	KUNIT_EXPECT_EQ(test, morsel_own_fault(busy, H0, false, &done, &t), MORSEL_OWN_WAIT);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(busy, H2, true, &done, &t), MORSEL_OWN_WAIT);
	KUNIT_EXPECT_EQ(test, morsel_own_busy_done(busy, H0, &done), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_busy_done(busy, H1, &done), 0);
	KUNIT_EXPECT_EQ(test, done, morsel_pte_make(MORSEL_PTE_EXCLUSIVE, H1, 0, 8,
						    MORSEL_PTE_SEQ(busy) + 1));
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(done));
}

static void own_sole_reader_upgrades(struct kunit *test)
{
	u64 new;
	u32 t;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H2)), H2, true, &new, &t),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(new), (u32)H2);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(0), H2, true, &new, &t),
			MORSEL_OWN_GRANTED);
}

static void own_exclusive_recalls(struct kunit *test)
{
	u64 new;
	u32 t;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), H0, true, &new, &t), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), H0, false, &new, &t), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), H1, false, &new, &t), MORSEL_OWN_RECALL);
	KUNIT_EXPECT_EQ(test, t, (u32)H0);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), H1, true, &new, &t), MORSEL_OWN_RECALL);
	/* The owner answers: downgrade keeps it as a reader, invalidate not. */
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H0), H0, true, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H0), H0, false, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), 0U);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(new));
	/* A recall that arrives after the page moved on is stale. */
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H1), H0, false, &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_release(shared(BIT(H0)), H0, false, &new), -ESTALE);
}

static void own_host_failure(struct kunit *test)
{
	u64 busy = morsel_pte_make(MORSEL_PTE_BUSY, H1, BIT(H0) | BIT(H2), 8, 1), new;

	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(excl(H1), H1, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_SHARED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), 0U);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(new), 8ULL);	/* last written back */
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(excl(H1), H0, &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(busy, H1, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)(BIT(H0) | BIT(H2)));
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(shared(BIT(H0) | BIT(H2)), H2, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
}

static void own_punch_and_drop(struct kunit *test)
{
	u64 new;

	KUNIT_EXPECT_EQ(test, morsel_own_punch(excl(H2), H2, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_NONE);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(new));
	KUNIT_EXPECT_EQ(test, morsel_own_punch(shared(BIT(H2)), H2, &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_drop_reader(shared(BIT(H1) | BIT(H2)), H2, &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H1));
	KUNIT_EXPECT_EQ(test, morsel_own_drop_reader(excl(H2), H2, &new), -ESTALE);
}

static void own_invariants(struct kunit *test)
{
	u64 wrapped = morsel_pte_make(MORSEL_PTE_SHARED, 0, 1, 8, 0x3fff + 1);

	/* A writer beside a reader, a frameless reader: both invalid. */
	KUNIT_EXPECT_FALSE(test, morsel_pte_valid(morsel_pte_make(MORSEL_PTE_EXCLUSIVE, H0,
								  BIT(H1), 8, 0)));
	KUNIT_EXPECT_FALSE(test, morsel_pte_valid(morsel_pte_make(MORSEL_PTE_SHARED, 0,
								  BIT(H1), 0, 0)));
	KUNIT_EXPECT_FALSE(test, morsel_pte_valid(morsel_pte_make(MORSEL_PTE_BUSY, H1,
								  BIT(H1), 8, 0)));
	/* The sequence wraps without touching the other fields. */
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(wrapped), 8ULL);
}

static struct kunit_case own_cases[] = {
	KUNIT_CASE(own_fresh_page),
	KUNIT_CASE(own_read_shares),
	KUNIT_CASE(own_write_revokes_readers),
	KUNIT_CASE(own_sole_reader_upgrades),
	KUNIT_CASE(own_exclusive_recalls),
	KUNIT_CASE(own_host_failure),
	KUNIT_CASE(own_punch_and_drop),
	KUNIT_CASE(own_invariants),
	{}
};

static struct kunit_suite own_suite = {
	.name = "morsel_ownership",
	.test_cases = own_cases,
};

kunit_test_suite(own_suite);
