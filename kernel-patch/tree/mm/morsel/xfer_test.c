// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: transfer ids (xfer.c): their format, nesting, and that a task
 * never reports another task's.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <trace/events/morsel.h>
#include "internal.h"

static void xfer_ids(struct kunit *test)
{
	static struct morsel_pool p = { .host_id = 5 };	/* too big for the stack */
	u64 a = morsel_xfer_next(&p), b = morsel_xfer_next(&p);

	KUNIT_EXPECT_EQ(test, a >> MORSEL_XFER_HOST_SHIFT, 5ULL);
	KUNIT_EXPECT_NE(test, a & MORSEL_XFER_COUNT_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, b, a + 1);
}

static void xfer_nesting(struct kunit *test)
{
	struct morsel_xfer outer, inner;

	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 0ULL);
	morsel_xfer_begin(&outer, 42);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 42ULL);
	/* An inner transfer: its own id, then the outer's again. */
	morsel_xfer_begin(&inner, 43);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 43ULL);
	morsel_xfer_end(&inner);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 42ULL);
	/* An id of 0 begins nothing: the outer id stays. */
	morsel_xfer_begin(&inner, 0);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 42ULL);
	morsel_xfer_end(&inner);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 42ULL);
	morsel_xfer_end(&outer);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 0ULL);
}

struct xfer_peer {
	struct completion begun, looked, done;
	u64 seen_before, seen_own;
};

static int xfer_peer_fn(void *arg)
{
	struct xfer_peer *peer = arg;
	struct morsel_xfer x;

	wait_for_completion(&peer->begun);
	peer->seen_before = morsel_xfer_current();
	morsel_xfer_begin(&x, 7);
	peer->seen_own = morsel_xfer_current();
	complete(&peer->looked);
	wait_for_completion(&peer->done);
	morsel_xfer_end(&x);
	return 0;
}

/* Two tasks in transfers at once: each sees its own id only. */
static void xfer_per_task(struct kunit *test)
{
	struct xfer_peer peer;
	struct task_struct *t;
	struct morsel_xfer x;

	init_completion(&peer.begun);
	init_completion(&peer.looked);
	init_completion(&peer.done);
	t = kthread_create(xfer_peer_fn, &peer, "morsel-xfer-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/* Held until it has exited: @peer is on this stack. */
	get_task_struct(t);
	wake_up_process(t);
	morsel_xfer_begin(&x, 6);
	complete(&peer.begun);
	wait_for_completion(&peer.looked);
	KUNIT_EXPECT_EQ(test, peer.seen_before, 0ULL);
	KUNIT_EXPECT_EQ(test, peer.seen_own, 7ULL);
	KUNIT_EXPECT_EQ(test, morsel_xfer_current(), 6ULL);
	morsel_xfer_end(&x);
	complete(&peer.done);
	kthread_stop(t);
	put_task_struct(t);
}

static struct kunit_case xfer_cases[] = {
	KUNIT_CASE(xfer_ids),
	KUNIT_CASE(xfer_nesting),
	KUNIT_CASE(xfer_per_task),
	{}
};

static struct kunit_suite xfer_suite = {
	.name = "morsel_xfer",
	.test_cases = xfer_cases,
};

kunit_test_suite(xfer_suite);
