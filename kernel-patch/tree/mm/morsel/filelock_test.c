// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the lock table's two steps (filelock.c), conflict and apply, on
 * a table in memory, as POSIX asks of fcntl record locks.
 */
#include <kunit/test.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include "internal.h"

#define N 4

static struct morsel_lock_rec lk(u8 host, u64 owner, u64 start, u64 end, u8 type)
{
	return (struct morsel_lock_rec){ .obj = 1, .gen = 7, .owner = owner, .start = start,
					 .end = end, .host = host, .type = type,
					 .kind = MORSEL_LOCK_POSIX };
}

static unsigned int used(const struct morsel_lock_rec *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < N; i++)
		n += !!t[i].obj;
	return n;
}

/* Readers share, a writer excludes, an owner never blocks itself. */
static void locks_conflicts(struct kunit *test)
{
	struct morsel_lock_rec t[N] = {}, r;
	bool rel = false;

	r = lk(0, 1, 0, 99, F_RDLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	r = lk(1, 1, 50, 60, F_RDLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	/* The same owner cookie on another host is another owner. */
	r.type = F_WRLCK;
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), 0);
	r = lk(0, 2, 99, 99, F_WRLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), 0);
	r = lk(0, 2, 100, 200, F_WRLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	r = lk(0, 1, 0, 99, F_WRLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	/* Another object, generation or kind does not conflict. */
	r = lk(1, 1, 0, 99, F_WRLCK);
	r.gen = 8;
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	r.gen = 7;
	r.kind = MORSEL_LOCK_FLOCK;
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	/* Locking again what the owner holds, the same way, releases nothing. */
	r = lk(0, 1, 0, 99, F_RDLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_FALSE(test, rel);
	KUNIT_EXPECT_EQ(test, used(t), 1U);
}

/* The type of owner (0, 1)'s lock on byte @x: F_RDLCK, F_WRLCK or -1. */
static int type_at(const struct morsel_lock_rec *t, u64 x)
{
	unsigned int i;

	for (i = 0; i < N; i++)
		if (t[i].obj && t[i].host == 0 && t[i].owner == 1 && t[i].start <= x &&
		    x <= t[i].end)
			return t[i].type;
	return -1;
}

/* Exact ranges after a split and a cut on both sides; never an overlap. */
static void locks_ranges(struct kunit *test)
{
	struct morsel_lock_rec t[N] = {}, r;
	bool rel = false;
	unsigned int i, j;

	r = lk(0, 1, 0, 99, F_WRLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	r = lk(0, 1, 10, 19, F_RDLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_EQ(test, type_at(t, 0), F_WRLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 9), F_WRLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 10), F_RDLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 19), F_RDLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 20), F_WRLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 99), F_WRLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 100), -1);
	/* Cut 5-50: trims the first record, removes the second, trims the third. */
	r = lk(0, 1, 5, 50, F_UNLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_EQ(test, used(t), 2U);
	KUNIT_EXPECT_EQ(test, type_at(t, 4), F_WRLCK);
	KUNIT_EXPECT_EQ(test, type_at(t, 5), -1);
	KUNIT_EXPECT_EQ(test, type_at(t, 50), -1);
	KUNIT_EXPECT_EQ(test, type_at(t, 51), F_WRLCK);
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			KUNIT_EXPECT_FALSE(test, t[i].obj && t[j].obj &&
					   t[i].start <= t[j].end && t[j].start <= t[i].end);
}

/* Unlocking the middle splits; upgrading is not a release, downgrading is. */
static void locks_split(struct kunit *test)
{
	struct morsel_lock_rec t[N] = {}, r;
	bool rel = false;

	r = lk(0, 1, 0, OFFSET_MAX, F_WRLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	r.start = 10;
	r.end = 19;
	r.type = F_UNLCK;
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_TRUE(test, rel);
	KUNIT_EXPECT_EQ(test, used(t), 2U);
	r = lk(1, 1, 10, 19, F_WRLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	r.start = 9;
	KUNIT_EXPECT_GE(test, morsel_locks_conflict(t, N, &r), 0);
	r = lk(1, 1, 20, 20, F_WRLCK);
	KUNIT_EXPECT_GE(test, morsel_locks_conflict(t, N, &r), 0);
	r = lk(1, 1, OFFSET_MAX, OFFSET_MAX, F_RDLCK);
	KUNIT_EXPECT_GE(test, morsel_locks_conflict(t, N, &r), 0);

	/* Read lock over part of the write lock: a downgrade. */
	rel = false;
	r = lk(0, 1, 100, 199, F_RDLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_TRUE(test, rel);
	KUNIT_EXPECT_EQ(test, used(t), 4U);
	r = lk(1, 1, 150, 150, F_RDLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_conflict(t, N, &r), -1);
	rel = false;
	r = lk(0, 1, 100, 199, F_WRLCK);
	KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_FALSE(test, rel);
	KUNIT_EXPECT_EQ(test, used(t), 4U);
}

/* A full table refuses a lock it has no record for and changes nothing. */
static void locks_full(struct kunit *test)
{
	struct morsel_lock_rec t[N] = {}, before[N], r;
	bool rel = false;
	unsigned int i;

	for (i = 0; i < N; i++) {
		r = lk(0, 1, i * 10, i * 10 + 9, F_RDLCK);
		KUNIT_ASSERT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	}
	memcpy(before, t, sizeof(t));
	r = lk(0, 2, 100, 109, F_RDLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_apply(t, N, &r, &rel), -ENOLCK);
	r = lk(0, 1, 2, 5, F_UNLCK);	/* would split a record */
	KUNIT_EXPECT_EQ(test, morsel_locks_apply(t, N, &r, &rel), -ENOLCK);
	KUNIT_EXPECT_EQ(test, memcmp(before, t, sizeof(t)), 0);
	/* A lock that replaces the owner's own records fits. */
	r = lk(0, 1, 0, 39, F_WRLCK);
	KUNIT_EXPECT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_EQ(test, used(t), 1U);
	r.type = F_UNLCK;
	KUNIT_EXPECT_EQ(test, morsel_locks_apply(t, N, &r, &rel), 0);
	KUNIT_EXPECT_EQ(test, used(t), 0U);
}

static struct kunit_case locks_cases[] = {
	KUNIT_CASE(locks_conflicts),
	KUNIT_CASE(locks_split),
	KUNIT_CASE(locks_ranges),
	KUNIT_CASE(locks_full),
	{}
};

static struct kunit_suite locks_suite = {
	.name = "morsel_filelock",
	.test_cases = locks_cases,
};

kunit_test_suite(locks_suite);
