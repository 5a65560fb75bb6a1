// SPDX-License-Identifier: GPL-2.0-only
/*
 * The inter-host channel: request/acknowledge over the mailbox rings, with
 * doorbells, bounded waits and a handler thread on the receiving host.
 *
 * Sending (any task on this host): post to the ring (sender, receiver) under
 * tx_lock[receiver], ring the receiver's doorbell unless it is polling, wait
 * for the answer in the same slot until a deadline, or until the receiver
 * is no longer the incarnation we sent to.
 *
 * Receiving: the thread "morsel-rx" is the single consumer of every ring
 * towards this host. It sleeps until a doorbell interrupt, or busy-polls
 * while asked to (MORSEL_MSG_POLL) or when no doorbell exists. It calls
 * the handler registered for each message type (morsel_channel_register());
 * the channel knows nothing of what the messages mean. A handler that
 * answers later says so in its answer (park time and a cookie): the
 * request stays at the head of its ring, which waits (each ring is in
 * order), and is handed to the handler again, resumed with its cookie, once
 * the time is up; the other rings are served meanwhile.
 *
 * Polling flag race: a sender that sees the receiver's polling flag skips
 * the doorbell. The receiver clears the flag, then (after a full barrier)
 * scans once more before it sleeps; the sender stores tail, then (after a
 * full barrier) reads the flag. Either the sender sees the flag clear and
 * rings, or the receiver's last scan sees the request.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <trace/events/morsel.h>
#include "internal.h"

static void handle_ping(struct morsel_pool *p, const struct morsel_msg *m,
			struct morsel_answer *a)
{
	a->ret[0] = ~m->arg[0];
	a->ret[1] = p->host_id;
}

#define MORSEL_POLL_MAX_MS	10000

static void handle_poll(struct morsel_pool *p, const struct morsel_msg *m,
			struct morsel_answer *a)
{
	u64 ms = min_t(u64, m->arg[0], MORSEL_POLL_MAX_MS);

	WRITE_ONCE(p->poll_until, jiffies + msecs_to_jiffies(ms));
}

/*
 * Handlers per message type: the channel's own, and those registered by
 * the layers above it before the handler thread starts.
 */
static morsel_handler_t handlers[MORSEL_MSG_NR] __ro_after_init = {
	[MORSEL_MSG_PING] = handle_ping,
	[MORSEL_MSG_POLL] = handle_poll,
};

/**
 * morsel_channel_register() - serve a message type.
 * @type: enum morsel_msg_type.
 * @fn: its handler, run by the handler thread.
 *
 * Context: init, before any host is online.
 * Return: 0, or -EINVAL (no such type) / -EBUSY (served already).
 */
int morsel_channel_register(u16 type, morsel_handler_t fn)
{
	if (type >= MORSEL_MSG_NR)
		return -EINVAL;
	if (handlers[type])
		return -EBUSY;
	handlers[type] = fn;
	return 0;
}

/* Handle the request at the head of @r; false if its handler parked it. */
static bool handle_one(struct morsel_pool *p, unsigned int src,
		       struct morsel_ring *r, struct morsel_slot *s, int err)
{
	struct morsel_parked *parked = &p->parked[src];
	struct morsel_msg m = {
		.src = src,
		.type = READ_ONCE(s->type),
		.arg = { READ_ONCE(s->arg[0]), READ_ONCE(s->arg[1]) },
		.resumed = parked->resumed,
		.cookie = parked->cookie,
	};
	struct morsel_answer a = {};
	u16 flags = READ_ONCE(s->flags);
	u64 seq = READ_ONCE(s->seq), t0 = ktime_get_ns();
	struct morsel_xfer x;
	bool done = true;

	m.seq = seq;
	/* What the handler does, and its trace, serve the sender's transfer. */
	morsel_xfer_begin(&x, READ_ONCE(r->xfer[s - r->slot]));
	*parked = (struct morsel_parked){};
	if (err) {
		a.result = err;
		atomic64_inc(&p->stats.bad);
	} else if (READ_ONCE(s->dst_epoch) != p->epoch) {
		/* Sent to an earlier incarnation of this host. */
		a.result = -ESTALE;
		atomic64_inc(&p->stats.stale);
	} else if (m.type >= MORSEL_MSG_NR || !handlers[m.type]) {
		a.result = -EOPNOTSUPP;
		atomic64_inc(&p->stats.bad);
	} else {
		handlers[m.type](p, &m, &a);
		if (a.park_ns) {
			parked->until = ktime_get_ns() + a.park_ns;
			parked->cookie = a.cookie;
			done = false;
			goto out;
		}
	}
	morsel_ring_complete(r, a.result, a.ret);
	atomic64_inc(&p->stats.handled);
	trace_morsel_msg_handle(src, p->host_id, m.type, seq, a.result,
				ktime_get_ns() - t0);
	if (!(flags & MORSEL_MSG_F_POLLED))
		morsel_doorbell_ring(p, src);
out:
	morsel_xfer_end(&x);
	return done;
}

/*
 * Handle every pending request but parked ones; return how many. *@next is
 * lowered to the earliest time a parked request is due (ktime ns).
 */
static unsigned int rx_scan(struct morsel_pool *p, u64 *next)
{
	unsigned int src, n = 0;
	u64 now = ktime_get_ns();

	for (src = 0; src < MORSEL_MAX_HOSTS; src++) {
		struct morsel_parked *parked = &p->parked[src];
		struct morsel_ring *r;
		struct morsel_slot *s;
		int err = 0;

		if (src == p->host_id)
			continue;
		if (parked->until) {
			if (now < parked->until) {
				*next = min(*next, parked->until);
				continue;
			}
			parked->until = 0;
			parked->resumed = true;	/* its cookie is handed back */
		}
		r = morsel_ring_of(p, src, p->host_id);
		while ((s = morsel_ring_peek(r, &err))) {
			if (!handle_one(p, src, r, s, err)) {
				*next = min(*next, parked->until);
				break;
			}
			n++;
		}
		if (err == -EUCLEAN) {
			/* Indices from a broken sender: drop what is queued. */
			pr_err_ratelimited("morsel: ring %u -> %d corrupt (head %llu tail %llu), resynchronised\n",
					   src, p->host_id, r->ctl.head, r->ctl.tail);
			atomic64_inc(&p->stats.bad);
			*parked = (struct morsel_parked){};
			/* Release: we are done with every slot before tail. */
			smp_store_release(&r->ctl.head, READ_ONCE(r->ctl.tail));
		}
	}
	return n;
}

static void set_polling(struct morsel_pool *p, bool on)
{
	struct morsel_host_entry *self = &p->hosts[p->host_id];

	if (READ_ONCE(self->polling) == on)
		return;
	WRITE_ONCE(self->polling, on);
	/* Pairs with the barrier between posting and reading the flag. */
	smp_mb();
}

static int rx_thread(void *data)
{
	struct morsel_pool *p = data;
	bool no_doorbell = morsel_doorbell_kind() == MORSEL_DOORBELL_NONE;

	while (!kthread_should_stop()) {
		int seen = atomic_read(&p->rx_kicks);
		u64 next = U64_MAX;
		unsigned int n = rx_scan(p, &next);

		if (no_doorbell || time_before(jiffies, READ_ONCE(p->poll_until))) {
			set_polling(p, true);
			if (!n) {
				if (no_doorbell)
					usleep_range(20, 50);
				else
					cpu_relax();
			}
			cond_resched();
			continue;
		}
		if (READ_ONCE(p->hosts[p->host_id].polling)) {
			set_polling(p, false);
			continue;	/* one more scan after clearing the flag */
		}
		/* Until a parked request is due: then scan again. */
		if (next != U64_MAX) {
			ktime_t left = ns_to_ktime(next - min(next, ktime_get_ns()));

			wait_event_interruptible_hrtimeout(p->rx_wq,
							   atomic_read(&p->rx_kicks) != seen ||
							   kthread_should_stop(), left);
			continue;
		}
		/* The timeout only guards against a lost interrupt. */
		if (!wait_event_interruptible_timeout(p->rx_wq,
						      atomic_read(&p->rx_kicks) != seen ||
						      kthread_should_stop(), HZ) &&
		    rx_scan(p, &next))
			atomic64_inc(&p->stats.late);
	}
	set_polling(p, false);
	return 0;
}

/**
 * morsel_channel_kick() - a doorbell rang: wake the handler and the waiters.
 * @p: the pool.
 *
 * Called from the doorbell interrupt handler.
 */
void morsel_channel_kick(struct morsel_pool *p)
{
	atomic_inc(&p->rx_kicks);
	wake_up(&p->rx_wq);
	wake_up_all(&p->ack_wq);
}

/**
 * morsel_channel_start() - start this host's handler thread.
 * @p: the pool, registered in the registry.
 *
 * Return: 0 or a negative errno.
 */
int morsel_channel_start(struct morsel_pool *p)
{
	struct task_struct *t;

	/* Nothing parked survives an earlier incarnation's handler thread. */
	memset(p->parked, 0, sizeof(p->parked));
	t = kthread_run(rx_thread, p, "morsel-rx");
	if (IS_ERR(t))
		return PTR_ERR(t);
	p->rx_thread = t;
	return 0;
}

/**
 * morsel_channel_stop() - stop the handler thread.
 * @p: the pool.
 */
void morsel_channel_stop(struct morsel_pool *p)
{
	if (p->rx_thread) {
		kthread_stop(p->rx_thread);
		p->rx_thread = NULL;
	}
}

/* The sender is done with its slot: the answer was read or abandoned. */
static void collected(struct morsel_pool *p, unsigned int dst, unsigned int slot)
{
	spin_lock(&p->tx_lock[dst]);
	__clear_bit(slot, p->uncollected[dst]);
	spin_unlock(&p->tx_lock[dst]);
}

static bool gone(struct morsel_pool *p, unsigned int dst, u32 dst_epoch)
{
	u32 e;

	return !morsel_host_alive(p, dst, &e) || e != dst_epoch ||
	       READ_ONCE(p->state) != MORSEL_POOL_ONLINE;
}

/**
 * morsel_channel_post() - send a request to another host, without waiting.
 * @p: the pool.
 * @dst: receiving host.
 * @type: enum morsel_msg_type.
 * @arg: two arguments.
 * @timeout_ms: bound on the whole call, posting and answer; 0 for the
 *	default.
 * @polled: the answer will be polled for: ask the receiver not to ring back.
 * @c: the call in flight, for morsel_channel_wait().
 *
 * Posting several requests before waiting for any lets their receivers work
 * at the same time. Every successful post must be followed by exactly one
 * morsel_channel_wait() on @c: until then the slot stays reserved.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL (bad @dst), -ENOTCONN (this host is not online),
 * -EHOSTDOWN (@dst not alive), -ETIMEDOUT (its ring stayed full within the
 * bound), -EUCLEAN (the ring is corrupt); nothing is posted then.
 */
int morsel_channel_post(struct morsel_pool *p, unsigned int dst, u16 type,
			const u64 arg[2], unsigned int timeout_ms, bool polled,
			struct morsel_call *c)
{
	u16 flags = polled ? MORSEL_MSG_F_POLLED : 0;
	u64 xfer = morsel_xfer_current();	/* what the request serves */
	struct morsel_ring *r;
	int err;

	if (READ_ONCE(p->state) != MORSEL_POOL_ONLINE)
		return -ENOTCONN;
	if (dst >= MORSEL_MAX_HOSTS || dst == p->host_id)
		return -EINVAL;
	if (!morsel_host_alive(p, dst, &c->dst_epoch))
		return -EHOSTDOWN;
	c->dst = dst;
	c->type = type;
	c->polled = polled;
	c->deadline = jiffies + msecs_to_jiffies(timeout_ms ?: MORSEL_DEFAULT_TIMEOUT_MS);
	r = morsel_ring_of(p, p->host_id, dst);
	for (;;) {
		spin_lock(&p->tx_lock[dst]);
		/*
		 * A slot is ours again only once its previous sender has read
		 * the answer (or given up): the receiver moving past it is not
		 * enough when several local tasks share the ring.
		 */
		c->slot = READ_ONCE(r->ctl.tail) & (MORSEL_RING_SLOTS - 1);
		if (test_bit(c->slot, p->uncollected[dst])) {
			err = -EAGAIN;
		} else {
			err = morsel_ring_post(r, type, flags, p->epoch, c->dst_epoch,
					       arg, xfer, &c->seq);
			if (!err)
				__set_bit(c->slot, p->uncollected[dst]);
		}
		spin_unlock(&p->tx_lock[dst]);
		if (err != -EAGAIN)
			break;
		atomic64_inc(&p->stats.ring_full);
		if (gone(p, dst, c->dst_epoch))
			return -EHOSTDOWN;
		if (time_after(jiffies, c->deadline)) {
			atomic64_inc(&p->stats.timeouts);
			return -ETIMEDOUT;	/* nothing posted */
		}
		usleep_range(10, 100);
	}
	if (err) {
		pr_err_ratelimited("morsel: ring %d -> %u corrupt: %d\n",
				   p->host_id, dst, err);
		atomic64_inc(&p->stats.failed);
		return err;
	}
	c->t0 = ktime_get_ns();
	smp_mb();	/* the new tail before the receiver's polling flag */
	c->rang = !polled && !READ_ONCE(p->hosts[dst].polling);
	if (c->rang)
		morsel_doorbell_ring(p, dst);
	atomic64_inc(&p->stats.sent);
	trace_morsel_msg_send(p->host_id, dst, type, c->seq, c->rang);
	return 0;
}

/**
 * morsel_channel_wait() - wait for the answer to a posted request.
 * @p: the pool.
 * @c: the call, as morsel_channel_post() filled it.
 * @ret: the receiver's two return values.
 *
 * Context: process context; may sleep unless the call is polled.
 * Return: the receiver's result, or -EHOSTDOWN (the receiver died or
 * restarted while we waited, or this host went offline), -ETIMEDOUT (no
 * answer within the call's bound).
 */
int morsel_channel_wait(struct morsel_pool *p, struct morsel_call *c, u64 ret[2])
{
	struct morsel_ring *r = morsel_ring_of(p, p->host_id, c->dst);
	s32 result;

	/* Without a doorbell back-end no interrupt brings the answer. */
	if (c->polled || morsel_doorbell_kind() == MORSEL_DOORBELL_NONE ||
	    READ_ONCE(p->hosts[c->dst].doorbell) == MORSEL_DOORBELL_NONE) {
		while (!morsel_ring_answered(r, c->seq, &result, ret)) {
			if (gone(p, c->dst, c->dst_epoch))
				goto down;
			if (time_after(jiffies, c->deadline))
				goto timeout;
			cpu_relax();
			cond_resched();
		}
	} else {
		long left = max_t(long, c->deadline - jiffies, 1);

		wait_event_timeout(p->ack_wq,
				   morsel_ring_answered(r, c->seq, &result, ret) ||
				   gone(p, c->dst, c->dst_epoch), left);
		if (!morsel_ring_answered(r, c->seq, &result, ret)) {
			if (gone(p, c->dst, c->dst_epoch))
				goto down;
			goto timeout;
		}
	}
	collected(p, c->dst, c->slot);
	atomic64_inc(&p->stats.acked);
	trace_morsel_msg_ack(p->host_id, c->dst, c->type, c->seq, result,
			     ktime_get_ns() - c->t0);
	return result;

down:
	collected(p, c->dst, c->slot);
	atomic64_inc(&p->stats.failed);
	return -EHOSTDOWN;
timeout:
	collected(p, c->dst, c->slot);
	atomic64_inc(&p->stats.timeouts);
	return -ETIMEDOUT;
}

/**
 * morsel_channel_call() - send a request to another host and wait for it.
 * @p: the pool.
 * @dst: receiving host.
 * @type: enum morsel_msg_type.
 * @arg: two arguments.
 * @ret: the receiver's two return values.
 * @timeout_ms: bound on the whole call; 0 for the default.
 * @polled: poll for the answer instead of sleeping until the doorbell, and
 *	ask the receiver not to ring back.
 *
 * Context: process context; may sleep unless @polled.
 * Return: the receiver's result, or an error of morsel_channel_post() or
 * morsel_channel_wait().
 */
int morsel_channel_call(struct morsel_pool *p, unsigned int dst, u16 type,
			const u64 arg[2], u64 ret[2], unsigned int timeout_ms,
			bool polled)
{
	struct morsel_call c;
	int err;

	err = morsel_channel_post(p, dst, type, arg, timeout_ms, polled, &c);
	return err ?: morsel_channel_wait(p, &c, ret);
}

/**
 * morsel_channel_ping() - timed PING round trips to another host.
 * @p: the pool.
 * @dst: the receiving host.
 * @count: number of round trips, one at a time.
 * @polled: both sides poll (the receiver is asked to, for the duration).
 * @timeout_ms: bound on each round trip; 0 for the default.
 * @rtt_ns: user array of @count round-trip times, or NULL.
 * @completed: round trips answered correctly.
 *
 * Return: 0, -EBADMSG if an answer is wrong, -EINTR on a fatal signal,
 * or the first error of morsel_channel_call().
 */
int morsel_channel_ping(struct morsel_pool *p, unsigned int dst, u32 count,
			bool polled, unsigned int timeout_ms,
			u64 __user *rtt_ns, u32 *completed)
{
	unsigned long refresh = jiffies;
	u64 arg[2] = { 0, 0 }, ret[2];
	int err = 0;
	u32 i;

	*completed = 0;
	for (i = 0; i < count; i++) {
		u64 t0, rtt;

		if (polled && !time_before(jiffies, refresh)) {
			/* Keep the receiver polling for the next 2 s. */
			arg[0] = 2000;
			err = morsel_channel_call(p, dst, MORSEL_MSG_POLL, arg,
						  ret, timeout_ms, false);
			if (err)
				break;
			refresh = jiffies + msecs_to_jiffies(1000);
		}
		arg[0] = get_random_u64();
		t0 = ktime_get_ns();
		err = morsel_channel_call(p, dst, MORSEL_MSG_PING, arg, ret,
					  timeout_ms, polled);
		rtt = ktime_get_ns() - t0;
		if (err)
			break;
		if (ret[0] != ~arg[0] || ret[1] != dst) {
			err = -EBADMSG;
			break;
		}
		if (rtt_ns && put_user(rtt, &rtt_ns[i])) {
			err = -EFAULT;
			break;
		}
		(*completed)++;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		if (!polled)
			cond_resched();
	}
	if (polled) {
		arg[0] = 0;	/* stop polling */
		morsel_channel_call(p, dst, MORSEL_MSG_POLL, arg, ret,
				    timeout_ms, false);
	}
	return err;
}
