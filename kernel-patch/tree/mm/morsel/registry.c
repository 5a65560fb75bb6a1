// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host registry in the coherent region: join, leave, heartbeat, lease.
 *
 * Each host's entry packs its state and epoch in one word, changed only by
 * cmpxchg around the pure transition functions below:
 *
 *   from \ event   join         leave (own epoch)   lease expired (epoch e)
 *   FREE           ALIVE e=1    -                   -
 *   ALIVE (e)      ALIVE e+1    LEFT (e)            DEAD (e)
 *   LEFT (e)       ALIVE e+1    -                   -
 *   DEAD (e)       ALIVE e+1    -                   -
 *
 * Only the host itself joins or leaves (its id is unique: the ivshmem peer
 * id); any survivor may declare it dead, but only the incarnation whose
 * heartbeat it watched stop: a cmpxchg against (e, ALIVE) cannot kill a
 * newer incarnation e+1. A host that finds itself declared dead fences
 * itself: it stops using the pool until it rejoins.
 */
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <trace/events/morsel.h>
#include "internal.h"

/**
 * morsel_hs_join() - the state a host takes when it joins.
 * @old: its current (epoch, state) word.
 *
 * Return: ALIVE with the next epoch.
 */
u64 morsel_hs_join(u64 old)
{
	return morsel_hs_pack(morsel_hs_epoch(old) + 1, MORSEL_HOST_ALIVE);
}

/**
 * morsel_hs_leave() - the state of a host that leaves cleanly.
 * @old: its current word.
 * @epoch: the epoch of the incarnation that leaves.
 * @new: the new word.
 *
 * Return: 0, or -ESTALE if @old is not (@epoch, ALIVE).
 */
int morsel_hs_leave(u64 old, u32 epoch, u64 *new)
{
	if (old != morsel_hs_pack(epoch, MORSEL_HOST_ALIVE))
		return -ESTALE;
	*new = morsel_hs_pack(epoch, MORSEL_HOST_LEFT);
	return 0;
}

/**
 * morsel_sweeper() - which host sweeps up after a dead one.
 * @declared_by: the host that declared it dead.
 * @alive: the hosts alive now.
 *
 * The declarer does; if it is not alive either (it died before the dead
 * host was fenced, or while it swept: a sweep is idempotent), the
 * lowest-numbered host alive takes over, so that what a dead host held
 * never outlives every host that saw it die.
 *
 * Return: the host, or MORSEL_MAX_HOSTS if none is alive.
 */
unsigned int morsel_sweeper(unsigned int declared_by, u32 alive)
{
	if (declared_by < MORSEL_MAX_HOSTS && (alive & BIT(declared_by)))
		return declared_by;
	return alive ? __ffs(alive) : MORSEL_MAX_HOSTS;
}

/**
 * morsel_hs_declare_dead() - the state of a host whose lease expired.
 * @old: its current word.
 * @epoch: the epoch of the incarnation whose heartbeat stopped.
 * @new: the new word.
 *
 * Return: 0, or -ESTALE if @old is not (@epoch, ALIVE).
 */
int morsel_hs_declare_dead(u64 old, u32 epoch, u64 *new)
{
	if (old != morsel_hs_pack(epoch, MORSEL_HOST_ALIVE))
		return -ESTALE;
	*new = morsel_hs_pack(epoch, MORSEL_HOST_DEAD);
	return 0;
}

/**
 * morsel_hs_name() - name of a host state, for logs and sysfs.
 * @state: enum morsel_host_state.
 *
 * Return: a constant string.
 */
const char *morsel_hs_name(u32 state)
{
	static const char *const names[] = {
		[MORSEL_HOST_FREE] = "free",
		[MORSEL_HOST_ALIVE] = "alive",
		[MORSEL_HOST_LEFT] = "left",
		[MORSEL_HOST_DEAD] = "dead",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "invalid";
}

static struct morsel_host_entry *entry(struct morsel_pool *p, unsigned int h)
{
	return &p->hosts[h];
}

/**
 * morsel_host_alive() - is a host alive, and in which incarnation?
 * @p: the pool.
 * @host: host id.
 * @epoch: if not NULL, the host's epoch.
 *
 * Return: true if @host is in state ALIVE.
 */
bool morsel_host_alive(struct morsel_pool *p, unsigned int host, u32 *epoch)
{
	u64 se;

	if (host >= MORSEL_MAX_HOSTS)
		return false;
	se = READ_ONCE(entry(p, host)->state_epoch);
	if (epoch)
		*epoch = morsel_hs_epoch(se);
	return morsel_hs_state(se) == MORSEL_HOST_ALIVE;
}

/**
 * morsel_hosts_alive_mask() - bitmap of the hosts in state ALIVE.
 * @p: the pool.
 *
 * Return: bit h set if host h is alive.
 */
u32 morsel_hosts_alive_mask(struct morsel_pool *p)
{
	u32 mask = 0;
	unsigned int h;

	for (h = 0; h < MORSEL_MAX_HOSTS; h++)
		if (morsel_host_alive(p, h, NULL))
			mask |= BIT(h);
	return mask;
}

static void watch_host(struct morsel_pool *p, unsigned int h)
{
	struct morsel_host_watch *w = &p->watch[h];
	struct morsel_host_entry *e = entry(p, h);
	u64 se = READ_ONCE(e->state_epoch);
	u64 hb = READ_ONCE(e->heartbeat);
	u64 dead;

	if (se != w->state_epoch) {
		if (morsel_hs_state(se) != MORSEL_HOST_FREE)
			pr_info("morsel: host %u is %s (epoch %u)\n", h,
				morsel_hs_name(morsel_hs_state(se)),
				morsel_hs_epoch(se));
		trace_morsel_host_state(h, morsel_hs_epoch(se),
					morsel_hs_state(w->state_epoch),
					morsel_hs_state(se));
		w->state_epoch = se;
		w->heartbeat = hb;
		w->changed = jiffies;
		wake_up_all(&p->ack_wq);
		return;
	}
	if (hb != w->heartbeat) {
		w->heartbeat = hb;
		w->changed = jiffies;
		return;
	}
	if (morsel_hs_state(se) != MORSEL_HOST_ALIVE ||
	    time_before(jiffies, w->changed + msecs_to_jiffies(p->sb->lease_ms)))
		return;
	if (morsel_hs_declare_dead(se, morsel_hs_epoch(se), &dead))
		return;
	WRITE_ONCE(e->declared_by, p->host_id);
	if (pool_cmpxchg(&e->state_epoch, se, dead) != se)
		return;		/* it joined again, or another survivor won */
	pr_warn("morsel: host %u (epoch %u) declared dead: no heartbeat for %u ms\n",
		h, morsel_hs_epoch(se),
		jiffies_to_msecs(jiffies - w->changed));
	trace_morsel_host_state(h, morsel_hs_epoch(se), MORSEL_HOST_ALIVE,
				MORSEL_HOST_DEAD);
	w->state_epoch = dead;
	wake_up_all(&p->ack_wq);
}

/*
 * Unmaps everything of this host's when it finds itself declared dead.
 * Set once at init, before the host can go online; read by the heartbeat
 * work (WRITE_ONCE/READ_ONCE, no lock).
 */
static void (*fence_fn)(void);

/**
 * morsel_registry_on_fence() - what to do when this host is declared dead.
 * @fn: called from the heartbeat work once the pool state is FENCED: it
 *	must take away every access of this host's processes to the pool.
 *
 * Registered by the layer that maps pool pages (overlay.c), so that the
 * registry never calls up into it.
 */
void morsel_registry_on_fence(void (*fn)(void))
{
	WRITE_ONCE(fence_fn, fn);
}

/* Takes back what a host this host declared dead left on the pool (as fence_fn). */
static void (*dead_fn)(struct morsel_pool *p, unsigned int host);

/**
 * morsel_registry_on_dead() - what to do about a host this host declared
 * dead, once it is fenced.
 * @fn: called once per dead incarnation from the heartbeat work.
 *
 * Registered by recall.c, which recovers what the host held.
 */
void morsel_registry_on_dead(void (*fn)(struct morsel_pool *p, unsigned int host))
{
	WRITE_ONCE(dead_fn, fn);
}

/*
 * One host sweeps up after a dead one (the others recover only what their
 * faults find), once it is fenced: the one that declared it dead, or a
 * survivor in its place (morsel_sweeper()).
 */
static void sweep_if_dead(struct morsel_pool *p, unsigned int h)
{
	struct morsel_host_entry *e = entry(p, h);
	u64 se = READ_ONCE(e->state_epoch);
	void (*sweep)(struct morsel_pool *p, unsigned int host);

	if (morsel_hs_state(se) != MORSEL_HOST_DEAD || p->swept_se[h] == se ||
	    morsel_sweeper(READ_ONCE(e->declared_by), morsel_hosts_alive_mask(p)) !=
		    p->host_id ||
	    !morsel_host_fenced(p, h))
		return;
	p->swept_se[h] = se;
	sweep = READ_ONCE(dead_fn);
	if (sweep)
		sweep(p, h);
}

/**
 * morsel_heartbeat_fn() - the periodic heartbeat and lease check.
 * @work: &morsel_pool.heartbeat_work.
 *
 * Beats this host's heartbeat, declares dead every host whose heartbeat
 * stood still for a lease, sweeps up after the hosts it declared dead, and
 * fences this host if it was declared dead.
 */
void morsel_heartbeat_fn(struct work_struct *work)
{
	struct morsel_pool *p = container_of(to_delayed_work(work),
					     struct morsel_pool, heartbeat_work);
	struct morsel_host_entry *self = entry(p, p->host_id);
	u64 se = READ_ONCE(self->state_epoch);
	void (*fence)(void);
	unsigned int h;

	if (se != morsel_hs_pack(p->epoch, MORSEL_HOST_ALIVE)) {
		pr_err("morsel: this host (%d, epoch %u) is %s in the registry (declared by host %u): fenced, no longer using the pool\n",
		       p->host_id, p->epoch, morsel_hs_name(morsel_hs_state(se)),
		       READ_ONCE(self->declared_by));
		p->state = MORSEL_POOL_FENCED;
		fence = READ_ONCE(fence_fn);
		if (fence)
			fence();
		wake_up_all(&p->ack_wq);
		return;
	}
	WRITE_ONCE(self->heartbeat, READ_ONCE(self->heartbeat) + 1);
	/*
	 * A host that did not run for a while (an overloaded hypervisor, a
	 * long interrupt-off section) cannot tell whether the others were
	 * silent: it renews their leases instead of declaring them dead.
	 */
	if (time_after(jiffies, p->last_beat + msecs_to_jiffies(4 * p->heartbeat_ms)))
		for (h = 0; h < MORSEL_MAX_HOSTS; h++)
			p->watch[h].changed = jiffies;
	p->last_beat = jiffies;
	for (h = 0; h < MORSEL_MAX_HOSTS; h++) {
		if (h == p->host_id)
			continue;
		watch_host(p, h);
		sweep_if_dead(p, h);
	}
	schedule_delayed_work(&p->heartbeat_work,
			      msecs_to_jiffies(p->heartbeat_ms));
}

/**
 * morsel_host_declare_dead() - declare a host dead that did not answer.
 * @p: the pool.
 * @host: the silent host.
 * @epoch: the incarnation that did not answer.
 *
 * Its lease is void from now on: survivors stop waiting for it and take
 * its pages back (ownership.c). If it is alive after all, it finds itself
 * dead at its next heartbeat and fences itself.
 */
void morsel_host_declare_dead(struct morsel_pool *p, unsigned int host, u32 epoch)
{
	struct morsel_host_entry *e = entry(p, host);
	u64 se = READ_ONCE(e->state_epoch), dead;

	/* Only the incarnation we waited for: never a newer one. */
	if (morsel_hs_declare_dead(se, epoch, &dead))
		return;
	WRITE_ONCE(e->declared_by, p->host_id);
	if (pool_cmpxchg(&e->state_epoch, se, dead) != se)
		return;
	pr_warn("morsel: host %u (epoch %u) declared dead: it did not answer within its lease\n",
		host, morsel_hs_epoch(se));
	trace_morsel_host_state(host, morsel_hs_epoch(se), MORSEL_HOST_ALIVE,
				MORSEL_HOST_DEAD);
	wake_up_all(&p->ack_wq);
}

/**
 * morsel_host_fenced() - may the survivors take a dead host's pages?
 * @p: the pool.
 * @host: a host that is not alive.
 *
 * A host declared dead may still be running; it notices at its next
 * heartbeat and unmaps everything (fencing). Survivors wait for three
 * heartbeat periods, measured on their own clock from when they first saw
 * the host gone, before they take its pages.
 *
 * Return: true once that time has passed.
 */
bool morsel_host_fenced(struct morsel_pool *p, unsigned int host)
{
	u64 se = READ_ONCE(entry(p, host)->state_epoch);

	if (morsel_hs_state(se) == MORSEL_HOST_ALIVE)
		return false;
	if (READ_ONCE(p->gone_se[host]) != se) {
		WRITE_ONCE(p->gone_since[host], jiffies);
		WRITE_ONCE(p->gone_se[host], se);
		return false;
	}
	return time_after(jiffies, READ_ONCE(p->gone_since[host]) +
			  msecs_to_jiffies(3 * p->heartbeat_ms));
}

/**
 * morsel_registry_join() - register this host in the pool.
 * @p: the pool, attached, with @p->host_id set.
 *
 * Return: 0, or -EINVAL if the host id does not fit the registry.
 */
int morsel_registry_join(struct morsel_pool *p)
{
	struct morsel_host_entry *self;
	u64 old, new;
	unsigned int h;

	if (p->host_id < 0 || p->host_id >= MORSEL_MAX_HOSTS)
		return -EINVAL;
	self = entry(p, p->host_id);
	do {
		old = READ_ONCE(self->state_epoch);
		new = morsel_hs_join(old);
		/* Publish the receive side before the new epoch. */
		WRITE_ONCE(self->doorbell, morsel_doorbell_kind());
		WRITE_ONCE(self->polling, 0);
		WRITE_ONCE(self->ncpus, num_online_cpus());
		WRITE_ONCE(self->declared_by, 0);
		WRITE_ONCE(self->heartbeat, READ_ONCE(self->heartbeat) + 1);
	} while (pool_cmpxchg(&self->state_epoch, old, new) != old);
	p->epoch = morsel_hs_epoch(new);
	if (morsel_hs_state(old) == MORSEL_HOST_ALIVE)
		pr_warn("morsel: host %d took over its entry from epoch %u, which never left\n",
			p->host_id, morsel_hs_epoch(old));
	trace_morsel_host_state(p->host_id, p->epoch, morsel_hs_state(old),
				MORSEL_HOST_ALIVE);

	for (h = 0; h < MORSEL_MAX_HOSTS; h++) {
		struct morsel_host_watch *w = &p->watch[h];

		w->state_epoch = READ_ONCE(entry(p, h)->state_epoch);
		w->heartbeat = READ_ONCE(entry(p, h)->heartbeat);
		w->changed = jiffies;
	}
	p->last_beat = jiffies;
	schedule_delayed_work(&p->heartbeat_work,
			      msecs_to_jiffies(p->heartbeat_ms));
	return 0;
}

/**
 * morsel_registry_leave() - mark this host as gone (clean shutdown).
 * @p: the pool, online.
 */
void morsel_registry_leave(struct morsel_pool *p)
{
	struct morsel_host_entry *self = entry(p, p->host_id);
	u64 old = READ_ONCE(self->state_epoch), new;

	cancel_delayed_work(&p->heartbeat_work);
	if (morsel_hs_leave(old, p->epoch, &new) ||
	    pool_cmpxchg(&self->state_epoch, old, new) != old)
		return;
	trace_morsel_host_state(p->host_id, p->epoch, MORSEL_HOST_ALIVE,
				MORSEL_HOST_LEFT);
}
