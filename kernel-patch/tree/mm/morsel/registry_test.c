// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the host registry's state transitions (registry.c), as pure
 * functions of a packed (epoch, state) word.
 */
#include <kunit/test.h>
#include "internal.h"

static void registry_transitions(struct kunit *test)
{
	u64 free = morsel_hs_pack(0, MORSEL_HOST_FREE), se, n;

	se = morsel_hs_join(free);
	KUNIT_EXPECT_EQ(test, morsel_hs_state(se), (u32)MORSEL_HOST_ALIVE);
	KUNIT_EXPECT_EQ(test, morsel_hs_epoch(se), 1U);
	/* Only the incarnation that is alive can be declared dead or leave. */
	KUNIT_EXPECT_EQ(test, morsel_hs_declare_dead(se, 2, &n), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_hs_leave(se, 2, &n), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_hs_declare_dead(se, 1, &n), 0);
	KUNIT_EXPECT_EQ(test, n, morsel_hs_pack(1, MORSEL_HOST_DEAD));
	/* Dead stays dead until the host joins again, with a new epoch. */
	KUNIT_EXPECT_EQ(test, morsel_hs_declare_dead(n, 1, &n), -ESTALE);
	KUNIT_EXPECT_EQ(test, morsel_hs_leave(n, 1, &n), -ESTALE);
	se = morsel_hs_join(n);
	KUNIT_EXPECT_EQ(test, se, morsel_hs_pack(2, MORSEL_HOST_ALIVE));
	KUNIT_EXPECT_EQ(test, morsel_hs_leave(se, 2, &n), 0);
	KUNIT_EXPECT_EQ(test, n, morsel_hs_pack(2, MORSEL_HOST_LEFT));
	KUNIT_EXPECT_EQ(test, morsel_hs_join(n), morsel_hs_pack(3, MORSEL_HOST_ALIVE));
	KUNIT_EXPECT_STREQ(test, morsel_hs_name(MORSEL_HOST_DEAD), "dead");
	KUNIT_EXPECT_STREQ(test, morsel_hs_name(99), "invalid");
}

/* The declarer sweeps; once it is gone too, the lowest host alive. */
static void registry_sweeper(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, morsel_sweeper(2, BIT(0) | BIT(2)), 2U);
	KUNIT_EXPECT_EQ(test, morsel_sweeper(3, BIT(1) | BIT(2)), 1U);
	KUNIT_EXPECT_EQ(test, morsel_sweeper(0, BIT(5)), 5U);
	KUNIT_EXPECT_EQ(test, morsel_sweeper(MORSEL_MAX_HOSTS, BIT(4)), 4U);
	KUNIT_EXPECT_EQ(test, morsel_sweeper(1, 0), (unsigned int)MORSEL_MAX_HOSTS);
}

static struct kunit_case registry_cases[] = {
	KUNIT_CASE(registry_transitions),
	KUNIT_CASE(registry_sweeper),
	{}
};

static struct kunit_suite registry_suite = {
	.name = "morsel_registry",
	.test_cases = registry_cases,
};

kunit_test_suite(registry_suite);
