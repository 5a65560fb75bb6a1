// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the ownership state machine of ownership.c, row by row of its
 * table, and the MRSW invariants after every transition.
 */
#include <kunit/test.h>
#include <linux/bits.h>
#include "ownership.h"

#define H0 0
#define H1 1
#define H2 2

/* Requests: a read (or a plain transition), a write, a release that keeps a copy. */
#define rd(h)	(&(struct morsel_own_req){ .host = (h) })
#define wr(h)	(&(struct morsel_own_req){ .host = (h), .flags = MORSEL_OWN_WRITE })
#define dg(h)	(&(struct morsel_own_req){ .host = (h), .flags = MORSEL_OWN_DOWNGRADE })

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
	struct morsel_own_req fill = { .host = H1, .frame = 41 };

	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(none));
	KUNIT_EXPECT_EQ(test, morsel_own_fault(none, rd(H1), &new), MORSEL_OWN_NEED_FRAME);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(none, wr(H1), &new), MORSEL_OWN_NEED_FRAME);
	KUNIT_EXPECT_EQ(test, morsel_own_fill(none, &fill, &e), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(e), (u32)MORSEL_PTE_SHARED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(e), (u32)BIT(H1));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(e), 42ULL);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_SEQ(e), 4U);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(e));
	fill.flags = MORSEL_OWN_WRITE;
	KUNIT_EXPECT_EQ(test, morsel_own_fill(none, &fill, &e), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(e), (u32)MORSEL_PTE_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(e), (u32)H1);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(e));
}

static void own_read_shares(struct kunit *test)
{
	u64 new;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H0)), rd(H1), &new),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)(BIT(H0) | BIT(H1)));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(new), 8ULL);
	/* Already a reader: nothing to change. */
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H1)), rd(H1), &new),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, new, shared(BIT(H1)));
}

static void own_write_revokes_readers(struct kunit *test)
{
	u64 e = shared(BIT(H0) | BIT(H1) | BIT(H2)), busy, done;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(e, wr(H1), &busy), MORSEL_OWN_INVALIDATE);
	/* The readers to revoke are the BUSY entry's readers. */
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(busy), (u32)(BIT(H0) | BIT(H2)));
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(busy), (u32)MORSEL_PTE_BUSY);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(busy), (u32)H1);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(busy));
	/* While BUSY, everyone else waits, for reads and writes. */
	KUNIT_EXPECT_EQ(test, morsel_own_fault(busy, rd(H0), &done), MORSEL_OWN_WAIT);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(busy, wr(H2), &done), MORSEL_OWN_WAIT);
	KUNIT_EXPECT_EQ(test, morsel_own_busy_done(busy, rd(H0), &done), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_busy_done(busy, rd(H1), &done), 0);
	KUNIT_EXPECT_EQ(test, done, morsel_pte_make(MORSEL_PTE_EXCLUSIVE, H1, 0, 8,
						    MORSEL_PTE_SEQ(busy) + 1));
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(done));
}

static void own_sole_reader_upgrades(struct kunit *test)
{
	u64 new;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H2)), wr(H2), &new),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_OWNER(new), (u32)H2);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(0), wr(H2), &new),
			MORSEL_OWN_GRANTED);
}

static void own_exclusive_recalls(struct kunit *test)
{
	u64 new;

	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), wr(H0), &new), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), rd(H0), &new), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), rd(H1), &new), MORSEL_OWN_RECALL);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(excl(H0), wr(H1), &new), MORSEL_OWN_RECALL);
	/* The owner answers: downgrade keeps it as a reader, invalidate not. */
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H0), dg(H0), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H0), rd(H0), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), 0U);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(new));
	/* A recall that arrives after the page moved on is stale. */
	KUNIT_EXPECT_EQ(test, morsel_own_release(excl(H1), rd(H0), &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_release(shared(BIT(H0)), rd(H0), &new), -ESTALE);
}

static void own_host_failure(struct kunit *test)
{
	u64 busy = morsel_pte_make(MORSEL_PTE_BUSY, H1, BIT(H0) | BIT(H2), 8, 1), new;

	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(excl(H1), rd(H1), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_SHARED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), 0U);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_FRAME1(new), 8ULL);	/* last written back */
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(excl(H1), rd(H0), &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(busy, rd(H1), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)(BIT(H0) | BIT(H2)));
	KUNIT_EXPECT_EQ(test, morsel_own_host_failed(shared(BIT(H0) | BIT(H2)), rd(H2), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
}

static void own_punch_and_drop(struct kunit *test)
{
	u64 new;

	KUNIT_EXPECT_EQ(test, morsel_own_punch(excl(H2), rd(H2), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_NONE);
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(new));
	KUNIT_EXPECT_EQ(test, morsel_own_punch(shared(BIT(H2)), rd(H2), &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_drop_reader(shared(BIT(H1) | BIT(H2)), rd(H2), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H1));
	KUNIT_EXPECT_EQ(test, morsel_own_drop_reader(excl(H2), rd(H2), &new), -ESTALE);
}

static void own_leave(struct kunit *test)
{
	u64 new;

	/* An owner leaves nothing behind (it wrote the page back first). */
	KUNIT_EXPECT_EQ(test, morsel_own_leave(excl(H1), rd(H1), &new), 0);
	KUNIT_EXPECT_EQ(test, new, morsel_pte_make(MORSEL_PTE_SHARED, 0, 0, 8, 6));
	KUNIT_EXPECT_EQ(test, morsel_own_leave(shared(BIT(H0) | BIT(H1)), rd(H1), &new), 0);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
	KUNIT_EXPECT_EQ(test, morsel_own_leave(excl(H0), rd(H1), &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_own_fill(excl(H0), rd(H1), &new), -EEXIST);
}

/*
 * A step that races: the first time it runs, "another host" installs a new
 * reader into the entry, so that the compare-and-swap must fail once.
 */
static u64 *race_pte;
static int race_steps;

static int racing_drop(u64 e, const struct morsel_own_req *req, u64 *new)
{
	if (!race_steps++)
		WRITE_ONCE(*race_pte, e | (u64)BIT(H2) << MORSEL_PTE_READERS_SHIFT);
	return morsel_own_drop_reader(e, req, new);
}

static void own_update_combinator(struct kunit *test)
{
	u64 pte = shared(BIT(H0) | BIT(H1)), old, new;

	/* Installs the step's entry and says what it was applied to. */
	KUNIT_EXPECT_EQ(test, morsel_pte_update(&pte, morsel_own_drop_reader, rd(H1),
						&old, &new), 0);
	KUNIT_EXPECT_EQ(test, old, shared(BIT(H0) | BIT(H1)));
	KUNIT_EXPECT_EQ(test, pte, new);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(pte), (u32)BIT(H0));
	/* A refusal writes nothing. */
	KUNIT_EXPECT_EQ(test, morsel_pte_update(&pte, morsel_own_drop_reader, rd(H1),
						&old, &new), -ESTALE);
	KUNIT_EXPECT_EQ(test, pte, old);
	/* Nothing to change: no write, the action is returned. */
	KUNIT_EXPECT_EQ(test, morsel_pte_update(&pte, morsel_own_fault, rd(H0), &old, &new),
			MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, pte, old);
	/* A lost race is retried on the entry that won it. */
	pte = shared(BIT(H0) | BIT(H1));
	race_pte = &pte;
	race_steps = 0;
	KUNIT_EXPECT_EQ(test, morsel_pte_update(&pte, racing_drop, rd(H1), &old, &new), 0);
	KUNIT_EXPECT_EQ(test, race_steps, 2);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(pte), (u32)(BIT(H0) | BIT(H2)));
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(pte));
}

/* Hosts linked to the pool's table are revoked as readers are. */
static void own_write_revokes_linked(struct kunit *test)
{
	struct morsel_own_req w = { .host = H0, .flags = MORSEL_OWN_WRITE };
	u64 new;

	/* Only the writer reads it, but H2 links the chunk's pool table. */
	w.linked = BIT(H0) | BIT(H2);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H0)), &w, &new),
			MORSEL_OWN_INVALIDATE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_BUSY);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H2));
	KUNIT_EXPECT_TRUE(test, morsel_pte_valid(new));
	/* Readers and linked hosts together, the writer left out. */
	w.linked = BIT(H2);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(BIT(H1)), &w, &new),
			MORSEL_OWN_INVALIDATE);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)(BIT(H1) | BIT(H2)));
	/* Linked by the writer alone: straight to exclusive. */
	w.linked = BIT(H0);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(0), &w, &new), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_STATE(new), (u32)MORSEL_PTE_EXCLUSIVE);
	/* A read ignores the linked hosts. */
	w.flags = 0;
	w.linked = BIT(H2);
	KUNIT_EXPECT_EQ(test, morsel_own_fault(shared(0), &w, &new), MORSEL_OWN_GRANTED);
	KUNIT_EXPECT_EQ(test, MORSEL_PTE_READERS(new), (u32)BIT(H0));
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
	KUNIT_CASE(own_write_revokes_linked),
	KUNIT_CASE(own_sole_reader_upgrades),
	KUNIT_CASE(own_exclusive_recalls),
	KUNIT_CASE(own_host_failure),
	KUNIT_CASE(own_punch_and_drop),
	KUNIT_CASE(own_leave),
	KUNIT_CASE(own_update_combinator),
	KUNIT_CASE(own_invariants),
	{}
};

static struct kunit_suite own_suite = {
	.name = "morsel_ownership",
	.test_cases = own_cases,
};

kunit_test_suite(own_suite);
