// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the mailbox ring protocol, driven as pure functions on memory,
 * without hosts.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include "internal.h"

static struct morsel_ring *new_ring(struct kunit *test, u64 start)
{
	struct morsel_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->ctl.head = start;
	r->ctl.tail = start;
	return r;
}

static void ring_round_trip(struct kunit *test)
{
	struct morsel_ring *r = new_ring(test, 0);
	u64 arg[2] = { 7, 8 }, ret[2], seq;
	struct morsel_slot *s;
	s32 result;
	int err;

	KUNIT_EXPECT_NULL(test, morsel_ring_peek(r, &err));
	KUNIT_EXPECT_EQ(test, morsel_ring_post(r, MORSEL_MSG_PING, 0, 3, 4, arg, 0, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 1ULL);
	KUNIT_EXPECT_FALSE(test, morsel_ring_answered(r, seq, &result, ret));
	s = morsel_ring_peek(r, &err);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, s->type, (u16)MORSEL_MSG_PING);
	KUNIT_EXPECT_EQ(test, s->src_epoch, 3U);
	KUNIT_EXPECT_EQ(test, s->dst_epoch, 4U);
	KUNIT_EXPECT_EQ(test, s->arg[1], 8ULL);
	ret[0] = 70;
	ret[1] = 80;
	morsel_ring_complete(r, -EIO, ret);
	KUNIT_EXPECT_NULL(test, morsel_ring_peek(r, &err));
	memset(ret, 0, sizeof(ret));
	KUNIT_EXPECT_TRUE(test, morsel_ring_answered(r, seq, &result, ret));
	KUNIT_EXPECT_EQ(test, result, -EIO);
	KUNIT_EXPECT_EQ(test, ret[0], 70ULL);
	KUNIT_EXPECT_EQ(test, ret[1], 80ULL);
}

static void ring_full_then_drains(struct kunit *test)
{
	struct morsel_ring *r = new_ring(test, 1000);
	u64 arg[2] = { 0, 0 }, ret[2], seq, first = 0;
	s32 result;
	int i, err;

	for (i = 0; i < MORSEL_RING_SLOTS; i++) {
		arg[0] = i;
		KUNIT_ASSERT_EQ(test, morsel_ring_post(r, 1, 0, 0, 0, arg, 0, &seq), 0);
		if (!i)
			first = seq;
	}
	KUNIT_EXPECT_EQ(test, morsel_ring_post(r, 1, 0, 0, 0, arg, 0, &seq), -EAGAIN);
	/* Answers come back in order and name the right request. */
	for (i = 0; i < MORSEL_RING_SLOTS; i++) {
		struct morsel_slot *s = morsel_ring_peek(r, &err);

		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_EXPECT_EQ(test, s->arg[0], (u64)i);
		ret[0] = s->arg[0] * 2;
		morsel_ring_complete(r, 0, ret);
		KUNIT_EXPECT_TRUE(test, morsel_ring_answered(r, first + i, &result, ret));
		KUNIT_EXPECT_EQ(test, ret[0], (u64)i * 2);
	}
	KUNIT_EXPECT_EQ(test, morsel_ring_post(r, 1, 0, 0, 0, arg, 0, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, first + MORSEL_RING_SLOTS);
	/* The old answer in the reused slot no longer matches. */
	KUNIT_EXPECT_FALSE(test, morsel_ring_answered(r, seq, &result, ret));
}

static void ring_detects_corruption(struct kunit *test)
{
	struct morsel_ring *r = new_ring(test, 0);
	u64 arg[2] = { 0, 0 }, seq;
	struct morsel_slot *s;
	int err;

	/* Indices more than a ring apart. */
	r->ctl.tail = MORSEL_RING_SLOTS + 1;
	KUNIT_EXPECT_NULL(test, morsel_ring_peek(r, &err));
	KUNIT_EXPECT_EQ(test, err, -EUCLEAN);
	KUNIT_EXPECT_EQ(test, morsel_ring_post(r, 1, 0, 0, 0, arg, 0, &seq), -EUCLEAN);

	/* A slot whose sequence is not the one the indices promise. */
	r = new_ring(test, 0);
	KUNIT_ASSERT_EQ(test, morsel_ring_post(r, 1, 0, 0, 0, arg, 0, &seq), 0);
	r->slot[0].seq = 42;
	s = morsel_ring_peek(r, &err);
	KUNIT_EXPECT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, err, -EBADMSG);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_round_trip),
	KUNIT_CASE(ring_full_then_drains),
	KUNIT_CASE(ring_detects_corruption),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "morsel_ring",
	.test_cases = ring_cases,
};

kunit_test_suite(ring_suite);
