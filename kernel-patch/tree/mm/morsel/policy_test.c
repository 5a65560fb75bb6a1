// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: morsel_policy_check(), the one gate every answer of a policy goes
 * through, hook by hook: what passes, what is clamped, what detaches.
 */
#include <kunit/test.h>
#include "policy.h"

#define BOUND 300000	/* us: lease 3000 ms / 10 */

static int check(enum morsel_policy_hook hook, u64 ret, u64 room,
		 struct morsel_policy_answer *a, char *why)
{
	return morsel_policy_check(hook, ret, BOUND, room, a, why, 96);
}

static void policy_read_fault(struct kunit *test)
{
	struct morsel_policy_answer a;
	char why[96];

	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_READ_FAULT, MORSEL_READ_SHARE, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_READ_SHARE);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_READ_FAULT, MORSEL_READ_EXCLUSIVE, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_READ_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_READ_FAULT, 7, 0, &a, why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "read_fault returned 7, out of range");
	KUNIT_EXPECT_EQ(test, a.value, 0U);	/* the default's answer */
}

static void policy_grant_is_clamped(struct kunit *test)
{
	struct morsel_policy_answer a;
	char why[96];

	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_WRITE_FAULT, 4, 100, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, 4U);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_WRITE_FAULT, 1000, 100, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_GRANT_MAX);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_WRITE_FAULT, 8, 3, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, 3U);	/* the object or mapping ends */
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_WRITE_FAULT, U64_MAX, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, 0U);
}

static void policy_recall(struct kunit *test)
{
	struct morsel_policy_answer a;
	char why[96];
	u64 shift = MORSEL_RECALL_DEFER_SHIFT;

	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL, MORSEL_RECALL_AS_ASKED, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.defer_us, 0U);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL,
				    MORSEL_RECALL_GIVE_UP | 2000ULL << shift, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_RECALL_GIVE_UP);
	KUNIT_EXPECT_EQ(test, a.defer_us, 2000U);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL, (u64)BOUND << shift, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.defer_us, (u32)BOUND);
	/* One microsecond past the bound detaches: no policy extends a recall. */
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL, (u64)(BOUND + 1) << shift, 0, &a, why),
			-ERANGE);
	KUNIT_EXPECT_STREQ(test, why, "recall deferred 300001 us, bound 300000 us");
	KUNIT_EXPECT_EQ(test, a.defer_us, 0U);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL, U64_MAX, 0, &a, why), -EINVAL);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL, MORSEL_RECALL_NR, 0, &a, why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "recall returned 2, out of range");
}

static void policy_hold(struct kunit *test)
{
	struct morsel_policy_answer a;
	enum morsel_policy_hook hooks[] = { MORSEL_HOOK_SYNC, MORSEL_HOOK_TICK };
	char why[96];
	int i;

	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		KUNIT_EXPECT_EQ(test, check(hooks[i], MORSEL_SYNC_KEEP, 0, &a, why), 0);
		KUNIT_EXPECT_EQ(test, check(hooks[i], MORSEL_SYNC_RELEASE, 0, &a, why), 0);
		KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_SYNC_RELEASE);
		KUNIT_EXPECT_EQ(test, check(hooks[i], MORSEL_SYNC_NR, 0, &a, why), -EINVAL);
		KUNIT_EXPECT_EQ(test, check(hooks[i], 1ULL << 32, 0, &a, why), -EINVAL);
	}
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_NR, 0, 0, &a, why), -EINVAL);
}

/* A block is aligned, a power of two, inside its 2 MiB; 0 is the default's. */
static void policy_recall_block(struct kunit *test)
{
	u64 ok[] = { 0, 1, 2, 16, MORSEL_CHUNK_PAGES };
	u64 bad[] = { 3, 24, MORSEL_CHUNK_PAGES - 1, MORSEL_CHUNK_PAGES * 2, 1ULL << 40,
		      U64_MAX };
	struct morsel_policy_answer a;
	char why[96];
	int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL_BLOCK, ok[i], 0, &a, why), 0);
		KUNIT_EXPECT_EQ(test, a.value, (u32)ok[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL_BLOCK, bad[i], 0, &a, why),
				-EINVAL);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RECALL_BLOCK, 24, 0, &a, why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "recall_block returned 24, out of range");
	KUNIT_EXPECT_EQ(test, a.value, 0U);
}

static void policy_relink(struct kunit *test)
{
	struct morsel_policy_answer a;
	char why[96];

	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RELINK, MORSEL_RELINK_POOL, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RELINK, MORSEL_RELINK_KEEP, 0, &a, why), 0);
	KUNIT_EXPECT_EQ(test, a.value, (u32)MORSEL_RELINK_KEEP);
	KUNIT_EXPECT_EQ(test, check(MORSEL_HOOK_RELINK, MORSEL_RELINK_NR, 0, &a, why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "relink returned 2, out of range");
}

static struct kunit_case policy_cases[] = {
	KUNIT_CASE(policy_read_fault),
	KUNIT_CASE(policy_grant_is_clamped),
	KUNIT_CASE(policy_recall),
	KUNIT_CASE(policy_hold),
	KUNIT_CASE(policy_recall_block),
	KUNIT_CASE(policy_relink),
	{}
};

static struct kunit_suite policy_suite = {
	.name = "morsel_policy",
	.test_cases = policy_cases,
};

kunit_test_suite(policy_suite);
