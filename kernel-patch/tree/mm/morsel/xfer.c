// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transfer ids: every event of one transfer names it, on every host.
 *
 * A fault (or a read() or write() of a page) begins a transfer on its
 * host. Its id is the host's number and a count of this host's transfers,
 * host << 48 | n, so that ids of different hosts never meet. While the
 * thread serves it, the thread's requests carry the id in their ring slot
 * (channel.c), and the handler thread of the host that receives one serves
 * that id while it handles the request. Every tracepoint of the mechanism
 * records morsel_xfer_current(): the id the current thread serves, or 0
 * for none (a close, a sweep, a tick). A tool joins all hosts' traces by
 * it (bench/xfer-breakdown.py).
 *
 * Ids cost only while they are traced: a fault names its transfer only
 * while morsel_fault_enter is enabled (fault.c), a request without an id
 * makes its handler begin nothing, and with no id served anywhere a
 * lookup is one atomic read.
 *
 * Which task serves which id is a small table, not a field of the task.
 * A task claims a free slot (cmpxchg of the task pointer from NULL) at its
 * outermost begin; only that task writes the slot's id or frees the slot,
 * and lookups match the task pointer, so no task ever reads another's id.
 * A full table (more than XFER_SLOTS tasks serving transfers at once)
 * leaves a transfer unnamed: traced as 0, never as another's.
 */
#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/sched.h>
#include <trace/events/morsel.h>
#include "internal.h"

#define XFER_BITS	7
#define XFER_SLOTS	BIT(XFER_BITS)

static struct {
	struct task_struct *task;	/* NULL: free */
	u64 id;				/* written by @task only */
} ____cacheline_aligned_in_smp xfer_slot[XFER_SLOTS];

/*
 * Slots claimed. At 0 no task serves an id (the untraced case) and a
 * lookup stops there. A task reads it after its own claim's increment in
 * program order, so it never misses its own slot; another task's claim
 * is not its business.
 */
static atomic_t xfer_claimed;

/* Transfers this host began; the low 48 bits of their ids. */
static atomic64_t xfer_count;

static int xfer_find(struct task_struct *t)
{
	unsigned int h = hash_ptr(t, XFER_BITS), i;

	for (i = 0; i < XFER_SLOTS; i++) {
		unsigned int s = (h + i) & (XFER_SLOTS - 1);

		if (READ_ONCE(xfer_slot[s].task) == t)
			return s;
	}
	return -1;
}

static int xfer_claim(struct task_struct *t)
{
	unsigned int h = hash_ptr(t, XFER_BITS), i;

	for (i = 0; i < XFER_SLOTS; i++) {
		unsigned int s = (h + i) & (XFER_SLOTS - 1);

		/* Full barrier: the last owner's id = 0 is seen (its release). */
		if (!READ_ONCE(xfer_slot[s].task) && !cmpxchg(&xfer_slot[s].task, NULL, t)) {
			atomic_inc(&xfer_claimed);
			return s;
		}
	}
	return -1;
}

/**
 * morsel_xfer_next() - a new id for a transfer this host begins.
 * @p: the pool.
 *
 * Return: host << 48 | n, n counting from 1; never 0.
 */
u64 morsel_xfer_next(struct morsel_pool *p)
{
	u64 n = atomic64_inc_return(&xfer_count) & MORSEL_XFER_COUNT_MASK;

	return (u64)p->host_id << MORSEL_XFER_HOST_SHIFT | (n ?: 1);
}

/**
 * morsel_xfer_new() - the id of a transfer this host begins, if traced.
 * @p: the pool.
 *
 * Return: morsel_xfer_next() while morsel_fault_enter is enabled (perf,
 *	tracefs), else 0: nothing to name.
 */
u64 morsel_xfer_new(struct morsel_pool *p)
{
	return trace_morsel_fault_enter_enabled() ? morsel_xfer_next(p) : 0;
}

/**
 * morsel_xfer_begin() - the current task serves a transfer until
 *	morsel_xfer_end().
 * @x: the caller's record, for morsel_xfer_end().
 * @id: the transfer's id; 0 (untraced, or a request that carries none)
 *	begins nothing: an outer id stays served.
 *
 * Nests: the outer id is served again at the inner end.
 *
 * Context: process context.
 */
void morsel_xfer_begin(struct morsel_xfer *x, u64 id)
{
	if (!id) {
		x->slot = -1;
		return;
	}
	x->slot = xfer_find(current);
	x->prev = 0;
	x->claimed = x->slot < 0;
	if (x->claimed)
		x->slot = xfer_claim(current);
	else
		x->prev = xfer_slot[x->slot].id;
	if (x->slot >= 0)
		WRITE_ONCE(xfer_slot[x->slot].id, id);
}

/**
 * morsel_xfer_end() - end what morsel_xfer_begin() began.
 * @x: its record.
 */
void morsel_xfer_end(struct morsel_xfer *x)
{
	if (x->slot < 0)
		return;
	if (!x->claimed) {
		WRITE_ONCE(xfer_slot[x->slot].id, x->prev);
		return;
	}
	WRITE_ONCE(xfer_slot[x->slot].id, 0);
	atomic_dec(&xfer_claimed);
	/* Release: the next owner, once it has the slot, reads id 0, not ours. */
	smp_store_release(&xfer_slot[x->slot].task, NULL);
}

/**
 * morsel_xfer_current() - the transfer the current task serves.
 *
 * Called by the tracepoints as they record (include/trace/events/morsel.h)
 * and by the channel as it posts, in any context. An interrupt serves no
 * transfer: it does not work for the task it interrupted.
 *
 * Return: its id, or 0 for none.
 */
u64 morsel_xfer_current(void)
{
	int s;

	if (!in_task() || !atomic_read(&xfer_claimed))
		return 0;
	s = xfer_find(current);
	return s < 0 ? 0 : READ_ONCE(xfer_slot[s].id);
}
