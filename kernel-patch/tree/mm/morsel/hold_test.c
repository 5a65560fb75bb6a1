// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the minimum hold's slots (hold.c), as pure functions of the
 * slots and the time.
 */
#include <kunit/test.h>
#include "overlay.h"

static void hold_window(struct kunit *test)
{
	struct morsel_holds h = {};

	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 0, 1), 0ULL);
	morsel_hold_note(&h, 7, 1000, 1100);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 7, 1000), 100ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 7, 1099), 1ULL);
	/* Over at its end, and never for another page. */
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 7, 1100), 0ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 8, 1000), 0ULL);
	/* A new write fault of the page extends its own slot. */
	morsel_hold_note(&h, 7, 1050, 1150);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 7, 1100), 50ULL);
}

/* Full: a new grant takes the slot that ends first, never a later one. */
static void hold_slots(struct kunit *test)
{
	struct morsel_holds h = {};
	unsigned int i;

	for (i = 0; i < MORSEL_HOLD_SLOTS; i++)
		morsel_hold_note(&h, i, 0, 100 + i);
	for (i = 0; i < MORSEL_HOLD_SLOTS; i++)
		KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, i, 0), 100ULL + i);
	morsel_hold_note(&h, 99, 0, 500);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 0, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 1, 0), 101ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 99, 0), 500ULL);
	/* Page 1's slot has expired at 102: page 98 takes it, not page 99's. */
	morsel_hold_note(&h, 98, 102, 600);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 98, 102), 498ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 99, 102), 398ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 7, 102), 5ULL);
}

/* Taking: held with no end until granted; a failed fault ends only its own. */
static void hold_taking(struct kunit *test)
{
	struct morsel_holds h = {};
	unsigned int i;

	morsel_hold_note(&h, 3, 10, 200);
	morsel_hold_note(&h, 5, 10, U64_MAX);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 5, 1000000), U64_MAX - 1000000);
	morsel_hold_note(&h, 5, 20, 120);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 5, 20), 100ULL);
	morsel_hold_note(&h, 5, 30, U64_MAX);
	morsel_hold_note(&h, 5, 40, 40);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 5, 40), 0ULL);
	KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 3, 40), 160ULL);
	/* Ending the hold of a page that has none ends no other's. */
	for (i = 0; i < MORSEL_HOLD_SLOTS; i++)
		morsel_hold_note(&h, 100 + i, 50, 1000 + i);
	morsel_hold_note(&h, 9, 60, 60);
	for (i = 0; i < MORSEL_HOLD_SLOTS; i++)
		KUNIT_EXPECT_EQ(test, morsel_hold_left(&h, 100 + i, 60), 940ULL + i);
}

static struct kunit_case hold_cases[] = {
	KUNIT_CASE(hold_window),
	KUNIT_CASE(hold_slots),
	KUNIT_CASE(hold_taking),
	{}
};

static struct kunit_suite hold_suite = {
	.name = "morsel_hold",
	.test_cases = hold_cases,
};

kunit_test_suite(hold_suite);
