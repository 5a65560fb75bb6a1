// SPDX-License-Identifier: GPL-2.0-only
/*
 * Record locks on morselfs files that hold across hosts: fcntl
 * F_SETLK/F_SETLKW/F_GETLK, their OFD forms and flock(), as SQLite's unix
 * VFS and other unmodified programs use them.
 *
 * The authority is the pool's lock table (struct morsel_locks, after the
 * directory in the coherent region): every lock of every host, changed and
 * read under dir_lock only. A change is two small pure steps that the
 * KUnit suite drives: find a conflicting record (morsel_locks_conflict()),
 * then replace the owner's records in the range (morsel_locks_apply()).
 *
 * Each host also keeps its own locks in the VFS's lists of the inode
 * (locks_lock_file_wait()), so that close() and exit release them through
 * ->lock and ->flock as on any file system and /proc/locks shows them.
 * filelock_mutex makes the table change and that copy one step for this
 * host's tasks, so the copy never conflicts with itself.
 *
 * Waiting (F_SETLKW, flock without LOCK_NB): the failed check sets this
 * host's bit in the table's waiter set under the same dir_lock; whoever
 * releases a range afterwards reads the set and wakes its hosts (this one
 * directly, others with a MORSEL_MSG_LOCK_WAKE message sent from a work
 * item), which bumps filelock_seq. A waiter samples filelock_seq before
 * its check, so a wake between check and sleep is not lost. It sleeps interruptibly and checks
 * again at least once per lease period whatever happens: a lost message
 * or a holder that dies (its locks go when it is declared dead,
 * morsel_filelock_forget_host()) costs at most a lease.
 *
 * Not done: deadlock detection, across hosts and on one (F_SETLKW never
 * gives EDEADLK: two holders of a read lock that both wait for a write
 * lock wait until one is interrupted); l_pid of a lock held on another
 * host reads 0 (its pid means nothing here).
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/sched/signal.h>
#include "overlay.h"

static DEFINE_MUTEX(filelock_mutex);	/* table change + VFS copy, per host */
static struct morsel_pool *filelock_pool;
static atomic_t filelock_to_wake = ATOMIC_INIT(0);	/* hosts, for wake_work */
static unsigned int filelock_waiting;	/* tasks in a wait loop; filelock_mutex */
static atomic_t filelock_seq = ATOMIC_INIT(0);	/* bumped by every wake */
static DECLARE_WAIT_QUEUE_HEAD(filelock_wq);
static atomic64_t filelock_waits, filelock_wakes;	/* for sysfs */

static struct morsel_locks *lock_table(struct morsel_pool *p)
{
	return morsel_pool_ptr(p, p->sb->dir_off + offsetof(struct morsel_dir, locks));
}

static bool same_owner(const struct morsel_lock_rec *a, const struct morsel_lock_rec *b)
{
	return a->obj == b->obj && a->gen == b->gen && a->kind == b->kind &&
	       a->host == b->host && a->owner == b->owner;
}

static bool overlaps(const struct morsel_lock_rec *a, const struct morsel_lock_rec *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/**
 * morsel_locks_conflict() - the first record that keeps a request out.
 * @rec: the table's records.
 * @n: how many.
 * @req: a lock request (type F_RDLCK or F_WRLCK).
 *
 * A record blocks the request if it is of the same object and kind, of
 * another owner, overlaps it, and one of the two is a write lock.
 *
 * Return: the record's index, or -1.
 */
int morsel_locks_conflict(const struct morsel_lock_rec *rec, unsigned int n,
			  const struct morsel_lock_rec *req)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct morsel_lock_rec *r = &rec[i];

		if (r->obj == req->obj && r->gen == req->gen && r->kind == req->kind &&
		    !same_owner(r, req) && overlaps(r, req) &&
		    (r->type == F_WRLCK || req->type == F_WRLCK))
			return i;
	}
	return -1;
}

/**
 * morsel_locks_apply() - set or clear the owner's lock on a range.
 * @rec: the table's records; free ones have @obj 0.
 * @n: how many.
 * @req: the request: its owner, range and type (F_UNLCK to clear).
 * @released: set if any byte lost a lock or went from write to read, so
 *	that waiters should look again.
 *
 * The owner's records in the range are cut out of it (a record reaching
 * past it on both sides splits in two), then the request is added unless
 * it unlocks. The caller has checked morsel_locks_conflict().
 *
 * Return: 0, or -ENOLCK if the table lacks the free records it needs
 * (nothing changed then).
 */
int morsel_locks_apply(struct morsel_lock_rec *rec, unsigned int n,
		       const struct morsel_lock_rec *req, bool *released)
{
	unsigned int i, free = 0, need = req->type != F_UNLCK;
	struct morsel_lock_rec *spare = NULL;

	/*
	 * An owner's records never overlap each other, so a split (the request
	 * inside one record) frees none: the two records it needs are free
	 * ones. Otherwise a record the request covers whole is room as well.
	 */
	for (i = 0; i < n; i++) {
		const struct morsel_lock_rec *r = &rec[i];

		if (!r->obj) {
			free++;
			spare = spare ?: &rec[i];
		} else if (same_owner(r, req) && r->start < req->start && r->end > req->end) {
			need++;
		} else if (same_owner(r, req) && r->start >= req->start && r->end <= req->end) {
			free++;
		}
	}
	if (free < need)
		return -ENOLCK;
	for (i = 0; i < n; i++) {
		struct morsel_lock_rec *r = &rec[i];

		if (!r->obj || !same_owner(r, req) || !overlaps(r, req))
			continue;
		if (req->type == F_UNLCK || (r->type == F_WRLCK && req->type == F_RDLCK))
			*released = true;
		if (r->start < req->start && r->end > req->end) {
			while (spare->obj)
				spare++;
			*spare = *r;
			spare->start = req->end + 1;
			r->end = req->start - 1;
		} else if (r->start < req->start) {
			r->end = req->start - 1;
		} else if (r->end > req->end) {
			r->start = req->end + 1;
		} else {
			r->obj = 0;
		}
	}
	if (req->type == F_UNLCK)
		return 0;
	for (i = 0; i < n; i++) {
		if (!rec[i].obj) {
			rec[i] = *req;
			break;
		}
	}
	return 0;
}

/* Free the records of objects deleted since (their generation moved on). */
static void sweep_stale(struct morsel_pool *p, struct morsel_locks *t)
{
	unsigned int i;

	for (i = 0; i < MORSEL_MAX_LOCKS; i++) {
		struct morsel_lock_rec *r = &t->rec[i];
		struct morsel_obj_entry *o;

		if (!r->obj)
			continue;
		if (r->obj > MORSEL_MAX_OBJECTS) {
			r->obj = 0;	/* not an object: corrupt, drop it */
			continue;
		}
		o = morsel_obj_entry(p, r->obj - 1);
		if (READ_ONCE(o->state) != MORSEL_OBJ_LIVE || READ_ONCE(o->gen) != r->gen)
			r->obj = 0;
	}
}

/* Send the wake-up messages wake_hosts() left: one per host, in order. */
static void wake_fn(struct work_struct *work)
{
	unsigned long bits = atomic_xchg(&filelock_to_wake, 0);
	u64 arg[2] = {}, ret[2];
	unsigned int h;

	/* A host that does not answer looks again within its lease. */
	for_each_set_bit(h, &bits, MORSEL_MAX_HOSTS)
		morsel_channel_call(filelock_pool, h, MORSEL_MSG_LOCK_WAKE, arg, ret, 0, false);
}

static DECLARE_WORK(wake_work, wake_fn);

/*
 * Wake the hosts in @hosts that wait for a range: this one directly, the
 * others from a work item, so that an unlock, a close or the sweep after
 * a dead host never waits for a slow host's answer.
 */
static void wake_hosts(struct morsel_pool *p, u32 hosts)
{
	if (hosts & BIT(p->host_id)) {
		atomic_inc(&filelock_seq);
		wake_up_all(&filelock_wq);
	}
	hosts &= ~BIT(p->host_id);
	if (hosts) {
		atomic_or(hosts, &filelock_to_wake);
		schedule_work(&wake_work);
	}
}

static void handle_wake(struct morsel_pool *p, const struct morsel_msg *m,
			struct morsel_answer *a)
{
	atomic64_inc(&filelock_wakes);
	atomic_inc(&filelock_seq);
	wake_up_all(&filelock_wq);
}

/*
 * One attempt on the table, under dir_lock; with @wait, a conflict enters
 * this host as a waiter in the same step. Return: 0, -EAGAIN (a
 * conflict), -ENOLCK; *@wake: the hosts to wake.
 */
static int table_set(struct morsel_pool *p, const struct morsel_lock_rec *req, bool wait,
		     u32 *wake)
{
	struct morsel_locks *t = lock_table(p);
	bool released = false;
	int i, err = 0;

	morsel_dir_lock(p);
	sweep_stale(p, t);
	i = req->type == F_UNLCK ? -1 : morsel_locks_conflict(t->rec, MORSEL_MAX_LOCKS, req);
	if (i >= 0) {
		if (wait && !(READ_ONCE(t->waiters) & BIT(p->host_id)))
			pool_or32(&t->waiters, BIT(p->host_id));
		err = -EAGAIN;
	} else {
		err = morsel_locks_apply(t->rec, MORSEL_MAX_LOCKS, req, &released);
	}
	*wake = released ? READ_ONCE(t->waiters) : 0;
	morsel_dir_unlock(p);
	return err;
}

static void fill_req(struct morsel_overlay *ov, struct file_lock *fl, u8 kind,
		     struct morsel_lock_rec *req)
{
	*req = (struct morsel_lock_rec){
		.obj = ov->idx + 1,
		.gen = ov->gen,
		.owner = (unsigned long)fl->c.flc_owner,
		.start = fl->fl_start,
		.end = fl->fl_end,
		.pid = fl->c.flc_pid,
		.host = ov->pool->host_id,
		.type = fl->c.flc_type,
		.kind = kind,
	};
}

/*
 * One attempt: the table, then the VFS's copy. Unlocking a file whose pool
 * or object is gone clears the copy alone (close() must be able to drop
 * what it holds). If the copy cannot be made (no memory), the range is
 * unlocked in the table again, so that no lock outlives what close() can
 * see; a lock the owner held in the range before goes with it.
 */
static int try_lock(struct file *file, struct file_lock *fl, const struct morsel_lock_rec *req,
		    bool wait, u32 *wake)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_lock_rec undo = *req;
	int err = overlay_usable(ov);
	u32 more;

	if (!err)
		err = table_set(ov->pool, req, wait, wake);
	else if (req->type == F_UNLCK)
		err = 0;
	if (err)
		return err;
	err = locks_lock_file_wait(file, fl);
	if (err && req->type != F_UNLCK && !overlay_usable(ov)) {
		undo.type = F_UNLCK;
		table_set(ov->pool, &undo, false, &more);
		*wake |= more;
	}
	return err;
}

static int set_lock(struct file *file, struct file_lock *fl, u8 kind, bool wait)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	struct morsel_lock_rec req;
	long left;
	u32 wake = 0;
	int err, seq;

	fill_req(ov, fl, kind, &req);
	fl->c.flc_flags &= ~FL_SLEEP;	/* the copy never waits: the table did */
	mutex_lock(&filelock_mutex);
	if (wait)
		filelock_waiting++;
	for (;;) {
		seq = atomic_read(&filelock_seq);
		err = try_lock(file, fl, &req, wait, &wake);
		if (err != -EAGAIN || !wait)
			break;
		mutex_unlock(&filelock_mutex);
		atomic64_inc(&filelock_waits);
		/* EAGAIN came from the table: the pool is attached. */
		left = wait_event_interruptible_timeout(filelock_wq,
							atomic_read(&filelock_seq) != seq,
							msecs_to_jiffies(p->sb->lease_ms));
		mutex_lock(&filelock_mutex);
		if (left < 0) {
			err = left;
			break;
		}
	}
	if (wait && !--filelock_waiting && READ_ONCE(p->state) == MORSEL_POOL_ONLINE)
		pool_and32(&lock_table(p)->waiters, ~BIT(p->host_id));
	mutex_unlock(&filelock_mutex);
	if (wake)
		wake_hosts(p, wake);
	return err;
}

/* F_GETLK: the first lock that would keep @fl out, on any host. */
static int test_lock(struct file *file, struct file_lock *fl)
{
	struct morsel_overlay *ov = file->private_data;
	struct morsel_pool *p = ov->pool;
	struct morsel_lock_rec req, c = {};
	int err = overlay_usable(ov), i;

	if (err)
		return err;
	fill_req(ov, fl, MORSEL_LOCK_POSIX, &req);
	morsel_dir_lock(p);
	sweep_stale(p, lock_table(p));
	i = morsel_locks_conflict(lock_table(p)->rec, MORSEL_MAX_LOCKS, &req);
	if (i >= 0)
		c = lock_table(p)->rec[i];
	morsel_dir_unlock(p);
	if (i < 0) {
		fl->c.flc_type = F_UNLCK;
		return 0;
	}
	fl->c.flc_type = c.type;
	fl->fl_start = c.start;
	fl->fl_end = c.end;
	fl->c.flc_pid = c.host == p->host_id ? c.pid : 0;
	return 0;
}

/**
 * morsel_file_lock() - ->lock of a morselfs file: fcntl and OFD locks.
 * @file: the file.
 * @cmd: F_GETLK, F_SETLK or F_SETLKW (OFD commands arrive as these, with
 *	FL_OFDLCK set and the file as owner).
 * @fl: the lock.
 *
 * Return: 0, -EAGAIN (F_SETLK: another owner, on any host, holds a lock in
 * the way), -ERESTARTSYS (F_SETLKW interrupted), -ENOLCK (the pool's lock
 * table is full), -ESTALE (the object was deleted), -ENOTCONN, -EINVAL
 * (F_CANCELLK: there are no lockd requests to cancel).
 */
int morsel_file_lock(struct file *file, int cmd, struct file_lock *fl)
{
	if (cmd == F_CANCELLK)
		return -EINVAL;
	if (IS_GETLK(cmd))
		return test_lock(file, fl);
	return set_lock(file, fl, MORSEL_LOCK_POSIX, IS_SETLKW(cmd));
}

/**
 * morsel_file_flock() - ->flock of a morselfs file: whole-file locks.
 * @file: the file, which owns the lock.
 * @cmd: F_SETLK (LOCK_NB) or F_SETLKW.
 * @fl: the lock, from 0 to OFFSET_MAX.
 *
 * Return: as morsel_file_lock(); -EWOULDBLOCK is -EAGAIN.
 */
int morsel_file_flock(struct file *file, int cmd, struct file_lock *fl)
{
	int err = set_lock(file, fl, MORSEL_LOCK_FLOCK, false);
	struct file_lock unl;

	/*
	 * As flock() on any file system, a conversion that meets a conflict
	 * first gives up the lock the file holds: two holders of LOCK_SH that
	 * both ask for LOCK_EX would wait for each other otherwise.
	 */
	if (err != -EAGAIN || lock_is_unlock(fl))
		return err;
	locks_init_lock(&unl);
	unl.c.flc_flags = FL_FLOCK;
	unl.c.flc_type = F_UNLCK;
	unl.c.flc_owner = file;
	unl.c.flc_file = file;
	unl.c.flc_pid = current->tgid;
	unl.fl_end = OFFSET_MAX;
	set_lock(file, &unl, MORSEL_LOCK_FLOCK, false);
	return IS_SETLKW(cmd) ? set_lock(file, fl, MORSEL_LOCK_FLOCK, true) : err;
}

/**
 * morsel_filelock_forget_host() - drop every lock a host held.
 * @p: the pool.
 * @host: a host declared dead, or this one joining again (an earlier
 *	incarnation may have died holding locks).
 *
 * Wakes the waiters, who find the ranges free.
 *
 * Return: how many locks it held.
 */
unsigned int morsel_filelock_forget_host(struct morsel_pool *p, unsigned int host)
{
	struct morsel_locks *t = lock_table(p);
	unsigned int i, n = 0;
	u32 wake;

	morsel_dir_lock(p);
	for (i = 0; i < MORSEL_MAX_LOCKS; i++) {
		if (t->rec[i].obj && t->rec[i].host == host) {
			t->rec[i].obj = 0;
			n++;
		}
	}
	if (READ_ONCE(t->waiters) & BIT(host))
		pool_and32(&t->waiters, ~BIT(host));
	wake = n ? READ_ONCE(t->waiters) : 0;
	morsel_dir_unlock(p);
	if (wake)
		wake_hosts(p, wake);
	return n;
}

/**
 * morsel_filelock_stat() - a counter for sysfs.
 * @wakes: the lock-release wake-ups received from other hosts; else the
 *	times a task of this host went to sleep waiting for a lock.
 *
 * Return: the count since boot.
 */
u64 morsel_filelock_stat(bool wakes)
{
	return atomic64_read(wakes ? &filelock_wakes : &filelock_waits);
}

/**
 * morsel_filelock_init() - take the lock-release messages.
 * @p: the pool whose hosts are sent wake-ups.
 *
 * Return: 0 or a negative errno.
 */
int morsel_filelock_init(struct morsel_pool *p)
{
	filelock_pool = p;
	return morsel_channel_register(MORSEL_MSG_LOCK_WAKE, handle_wake);
}
