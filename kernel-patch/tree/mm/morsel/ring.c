// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mailbox ring protocol (see struct morsel_ring in layout.h): pure
 * functions on one ring, without locks, interrupts or waiting, so that KUnit
 * drives them directly. channel.c adds the host-local lock that makes each
 * host a single producer, the handler thread that is the single consumer,
 * doorbells and bounded waits.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <asm/barrier.h>
#include "internal.h"

static struct morsel_slot *slot_of(struct morsel_ring *r, u64 pos)
{
	return &r->slot[pos & (MORSEL_RING_SLOTS - 1)];
}

/**
 * morsel_ring_post() - append a request (producer side).
 * @r: the ring from this host to the receiver.
 * @type: message type.
 * @flags: MORSEL_MSG_F_*.
 * @src_epoch: the sender's epoch.
 * @dst_epoch: the receiver's epoch as the sender last saw it.
 * @arg: two arguments.
 * @xfer: the transfer the request serves, for tracing (0: none).
 * @seq: on success, the request's sequence number.
 *
 * Return: 0, -EAGAIN if the ring is full, -EUCLEAN if its indices are
 * inconsistent (head ahead of tail, or more than a ring apart).
 */
int morsel_ring_post(struct morsel_ring *r, u16 type, u16 flags, u32 src_epoch,
		     u32 dst_epoch, const u64 arg[2], u64 xfer, u64 *seq)
{
	u64 tail = READ_ONCE(r->ctl.tail);
	/* Acquire: the consumer is done with every slot before head. */
	u64 head = smp_load_acquire(&r->ctl.head);
	struct morsel_slot *s;

	if (tail - head > MORSEL_RING_SLOTS)
		return -EUCLEAN;
	if (tail - head == MORSEL_RING_SLOTS)
		return -EAGAIN;
	s = slot_of(r, tail);
	s->type = type;
	s->flags = flags;
	s->src_epoch = src_epoch;
	s->dst_epoch = dst_epoch;
	s->result = 0;
	s->arg[0] = arg[0];
	s->arg[1] = arg[1];
	s->ret[0] = 0;
	s->ret[1] = 0;
	r->xfer[tail & (MORSEL_RING_SLOTS - 1)] = xfer;
	WRITE_ONCE(s->seq, tail + 1);
	/* The slot is complete before the receiver can see the new tail. */
	smp_store_release(&r->ctl.tail, tail + 1);
	*seq = tail + 1;
	return 0;
}

/**
 * morsel_ring_answered() - collect the answer to a request (producer side).
 * @r: the ring the request was posted on.
 * @seq: the request's sequence number.
 * @result: the receiver's result.
 * @ret: the receiver's two return values.
 *
 * Return: true once the receiver has completed request @seq. The answer is
 * valid until the producer posts @seq + MORSEL_RING_SLOTS, which it cannot
 * do before the receiver has moved past @seq.
 */
bool morsel_ring_answered(struct morsel_ring *r, u64 seq, s32 *result,
			  u64 ret[2])
{
	struct morsel_slot *s = slot_of(r, seq - 1);

	/* Acquire: pairs with the release of done in morsel_ring_complete(). */
	if (smp_load_acquire(&s->done) != seq)
		return false;
	*result = READ_ONCE(s->result);
	ret[0] = READ_ONCE(s->ret[0]);
	ret[1] = READ_ONCE(s->ret[1]);
	return true;
}

/**
 * morsel_ring_peek() - the oldest unhandled request (consumer side).
 * @r: a ring towards this host.
 * @err: set to -EUCLEAN if the ring indices are inconsistent, -EBADMSG if
 *	the slot does not hold the request the indices promise; 0 otherwise.
 *
 * A bad slot is still returned, so the consumer completes it with an error
 * and the ring keeps moving.
 *
 * Return: the slot at head, or NULL when the ring is empty (or corrupt).
 */
struct morsel_slot *morsel_ring_peek(struct morsel_ring *r, int *err)
{
	u64 head = READ_ONCE(r->ctl.head);
	/* Acquire: pairs with the release of tail in morsel_ring_post(). */
	u64 tail = smp_load_acquire(&r->ctl.tail);
	struct morsel_slot *s;

	*err = 0;
	if (head == tail)
		return NULL;
	if (tail - head > MORSEL_RING_SLOTS) {
		*err = -EUCLEAN;
		return NULL;
	}
	s = slot_of(r, head);
	if (READ_ONCE(s->seq) != head + 1)
		*err = -EBADMSG;
	return s;
}

/**
 * morsel_ring_complete() - answer the request at head and move past it.
 * @r: a ring towards this host, whose head slot was returned by peek.
 * @result: 0 or -errno for the sender.
 * @ret: two return values, or NULL.
 */
void morsel_ring_complete(struct morsel_ring *r, s32 result, const u64 ret[2])
{
	u64 head = READ_ONCE(r->ctl.head);
	struct morsel_slot *s = slot_of(r, head);

	WRITE_ONCE(s->result, result);
	WRITE_ONCE(s->ret[0], ret ? ret[0] : 0);
	WRITE_ONCE(s->ret[1], ret ? ret[1] : 0);
	/* Release: the answer is visible before done... */
	smp_store_release(&s->done, head + 1);
	/* ...and done before the producer may reuse the slot. */
	smp_store_release(&r->ctl.head, head + 1);
}
