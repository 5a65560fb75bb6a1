/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host-local state of the morsel pool mechanism, shared by the files of
 * mm/morsel/. Pool-resident structures are in layout.h.
 */
#ifndef _MM_MORSEL_INTERNAL_H
#define _MM_MORSEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct seq_file;
#include "layout.h"
#include "pool_atomic.h"
#include "ownership.h"

/* superblock.c: pure functions on a superblock image */
static inline u64 morsel_sb_frames(const struct morsel_sb *sb)
{
	return (sb->pool_size - sb->data_off) >> PAGE_SHIFT;
}

/* 2 MiB chunks of the largest object: as many pages as the data region. */
static inline u64 morsel_sb_chunks(const struct morsel_sb *sb)
{
	return DIV_ROUND_UP(morsel_sb_frames(sb), 512);
}

u32 morsel_sb_csum(const struct morsel_sb *sb);
int morsel_sb_layout(struct morsel_sb *sb, u64 pool_size, u64 coherent_size,
		     u32 lease_ms, const u64 uuid[2], u64 phys);
int morsel_sb_check(const struct morsel_sb *sb, u64 range_size, char *why,
		    size_t len);

/* ring.c: the mailbox ring protocol on one ring, no locking, no I/O */
int morsel_ring_post(struct morsel_ring *r, u16 type, u16 flags, u32 src_epoch,
		     u32 dst_epoch, const u64 arg[2], u64 xfer, u64 *seq);
bool morsel_ring_answered(struct morsel_ring *r, u64 seq, s32 *result,
			  u64 ret[2]);
struct morsel_slot *morsel_ring_peek(struct morsel_ring *r, int *err);
void morsel_ring_complete(struct morsel_ring *r, s32 result,
			  const u64 ret[2]);

/* registry.c: host states, packed as (epoch << 32) | state */
static inline u32 morsel_hs_state(u64 se) { return (u32)se; }
static inline u32 morsel_hs_epoch(u64 se) { return se >> 32; }
static inline u64 morsel_hs_pack(u32 epoch, u32 state)
{
	return ((u64)epoch << 32) | state;
}

u64 morsel_hs_join(u64 old);
int morsel_hs_leave(u64 old, u32 epoch, u64 *new);
int morsel_hs_declare_dead(u64 old, u32 epoch, u64 *new);
const char *morsel_hs_name(u32 state);
unsigned int morsel_sweeper(unsigned int declared_by, u32 alive);

/* Message types carried by the channel. */
enum morsel_msg_type {
	MORSEL_MSG_PING = 1,	/* arg0: cookie; ret0: ~cookie, ret1: host id */
	MORSEL_MSG_POLL,	/* arg0: poll the mailboxes for this many ms */
	MORSEL_MSG_RECALL,	/* arg0: object, arg1: page | mode; recall.c */
	MORSEL_MSG_LOCK_WAKE,	/* a record lock was released; filelock.c */
	MORSEL_MSG_NR,
};

/**
 * struct morsel_msg - a request, as its handler sees it.
 * @src: the sending host.
 * @type: enum morsel_msg_type.
 * @arg: the sender's two arguments.
 * @resumed: the handler parked this request before; @cookie is what it
 *	said then.
 * @cookie: see @resumed.
 * @seq: the request's sequence number in its ring, for tracing.
 */
struct morsel_msg {
	unsigned int src;
	u16 type;
	bool resumed;
	u64 arg[2];
	u64 cookie;
	u64 seq;
};

/**
 * struct morsel_answer - what a handler answers (all zero to start with).
 * @result: 0 or -errno, for the sender.
 * @ret: two return values, for the sender.
 * @park_ns: not zero: answer later. The request stays at the head of its
 *	ring and is handed back, resumed, after this many ns; the result and
 *	return values are not sent.
 * @cookie: with @park_ns: handed back when the request is resumed.
 */
struct morsel_answer {
	s32 result;
	u64 ret[2];
	u64 park_ns;
	u64 cookie;
};

struct morsel_pool;
typedef void (*morsel_handler_t)(struct morsel_pool *p, const struct morsel_msg *m,
				 struct morsel_answer *a);

/* A request parked by its handler: the head of one sender's ring. */
struct morsel_parked {
	u64 until;	/* ktime ns; 0: nothing parked */
	u64 cookie;
	bool resumed;	/* due: hand it back with @cookie */
};

/* Host-side bookkeeping of the lease of every other host. */
struct morsel_host_watch {
	u64 state_epoch;
	u64 heartbeat;
	unsigned long changed;	/* jiffies of the last heartbeat change */
};

enum morsel_pool_state {
	MORSEL_POOL_ABSENT = 0,	/* no pool range seen yet */
	MORSEL_POOL_ATTACHED,	/* superblock valid, host not yet online */
	MORSEL_POOL_ONLINE,	/* registered, channel running */
	MORSEL_POOL_REFUSED,	/* pool refused at attach; see error */
	MORSEL_POOL_FENCED,	/* declared dead by the others: stopped */
};

struct morsel_chan_stats {
	atomic64_t sent, handled, acked, timeouts, failed;
	atomic64_t doorbells_sent, doorbell_irqs, stale, bad, ring_full;
	atomic64_t late;	/* requests found only by the 1 s rescan */
};

/**
 * struct morsel_pool - this host's view of the pool (one per host).
 * @lock: serialises attach, online and detach (process context only).
 * @tx_lock: per receiver; serialises this host's CPUs posting to one ring
 *	(the ring is single-producer per host).
 * @ack_wq: senders waiting for answers; woken by doorbell interrupts, by the
 *	local poller and when a host is declared dead.
 * @rx_wq: the handler thread sleeps here until a doorbell interrupt.
 */
struct morsel_pool {
	struct mutex lock;	/* see above */
	enum morsel_pool_state state;
	char error[160];

	phys_addr_t phys;
	void *base;		/* memremap(WB) of the whole pool */
	u64 size;
	int node;
	struct morsel_sb *sb;	/* == base */
	/* The pool's hardware tables have struct pages here and may be linked. */
	bool hwtables;
	struct morsel_host_entry *hosts;

	int host_id;		/* -1 until known */
	u32 epoch;

	/* registry.c */
	struct delayed_work heartbeat_work;
	struct morsel_host_watch watch[MORSEL_MAX_HOSTS];
	unsigned int heartbeat_ms;
	unsigned long last_beat;	/* jiffies of our last heartbeat */
	/* When this host first saw each host gone (morsel_host_fenced()). */
	unsigned long gone_since[MORSEL_MAX_HOSTS];
	u64 gone_se[MORSEL_MAX_HOSTS];
	/* The incarnation of each host whose remains this host swept (heartbeat work only). */
	u64 swept_se[MORSEL_MAX_HOSTS];

	/* channel.c */
	spinlock_t tx_lock[MORSEL_MAX_HOSTS];
	/* Slots whose answer a local sender has not collected yet (tx_lock). */
	unsigned long uncollected[MORSEL_MAX_HOSTS][BITS_TO_LONGS(MORSEL_RING_SLOTS)];
	wait_queue_head_t ack_wq;
	wait_queue_head_t rx_wq;
	atomic_t rx_kicks;
	unsigned long poll_until;	/* jiffies; handler polls until then */
	/*
	 * Per sender, the request its handler parked: it stays at the head of
	 * its ring, which is not served until then; the other rings are.
	 * Handler thread only.
	 */
	struct morsel_parked parked[MORSEL_MAX_HOSTS];
	struct task_struct *rx_thread;
	struct morsel_chan_stats stats;
};

extern struct morsel_pool morsel_pool;

/* xfer.c: the transfer a task serves (morsel_xfer_begin() to _end()). */
struct morsel_xfer {
	u64 prev;	/* the id served before, again at the end */
	int slot;	/* in the table; -1: none (the table was full) */
	bool claimed;	/* the begin took the slot: the end frees it */
};

/* morsel_xfer_current() is declared by include/trace/events/morsel.h. */
u64 morsel_xfer_next(struct morsel_pool *p);
u64 morsel_xfer_new(struct morsel_pool *p);
void morsel_xfer_begin(struct morsel_xfer *x, u64 id);
void morsel_xfer_end(struct morsel_xfer *x);

static inline void *morsel_pool_ptr(struct morsel_pool *p, u64 off)
{
	return p->base + off;
}

static inline struct morsel_ring *morsel_ring_of(struct morsel_pool *p,
						 unsigned int src,
						 unsigned int dst)
{
	struct morsel_ring *rings = morsel_pool_ptr(p, p->sb->rings_off);

	return &rings[morsel_ring_index(src, dst)];
}

/* pool.c */
void morsel_pool_try_online(void);
void morsel_pool_set_error(struct morsel_pool *p, const char *fmt, ...);

/* registry.c */
int morsel_registry_join(struct morsel_pool *p);
void morsel_registry_leave(struct morsel_pool *p);
void morsel_heartbeat_fn(struct work_struct *work);
bool morsel_host_alive(struct morsel_pool *p, unsigned int host, u32 *epoch);
u32 morsel_hosts_alive_mask(struct morsel_pool *p);

/* doorbell.c: one interface, two back-ends (ivshmem MSI-X, none/polled) */
int morsel_doorbell_ring(struct morsel_pool *p, unsigned int host);
int morsel_doorbell_peer_id(void);
u32 morsel_doorbell_kind(void);
int morsel_doorbell_init(struct morsel_pool *p, void (*rang)(struct morsel_pool *p),
			 void (*ready)(void));

/* channel.c */
int morsel_channel_start(struct morsel_pool *p);
void morsel_channel_stop(struct morsel_pool *p);
void morsel_channel_kick(struct morsel_pool *p);
/*
 * A request posted by morsel_channel_post(), until morsel_channel_wait():
 * private to the posting task; its ring slot stays reserved in
 * uncollected[dst] (under tx_lock[dst]) until the wait collects the answer.
 */
struct morsel_call {
	u64 seq, t0;
	unsigned long deadline;
	u32 dst_epoch;
	u16 type;
	u8 dst, slot;
	bool polled, rang;
};

int morsel_channel_post(struct morsel_pool *p, unsigned int dst, u16 type,
			const u64 arg[2], unsigned int timeout_ms, bool polled,
			struct morsel_call *c);
int morsel_channel_wait(struct morsel_pool *p, struct morsel_call *c, u64 ret[2]);
int morsel_channel_register(u16 type, morsel_handler_t fn);
int morsel_channel_call(struct morsel_pool *p, unsigned int dst, u16 type,
			const u64 arg[2], u64 ret[2], unsigned int timeout_ms,
			bool polled);
int morsel_channel_ping(struct morsel_pool *p, unsigned int dst, u32 count,
			bool polled, unsigned int timeout_ms,
			u64 __user *rtt_ns, u32 *completed);

/* The authoritative entries of a table pair, by number. */
static inline u64 *morsel_table_ptr(struct morsel_pool *p, u64 t)
{
	return morsel_pool_ptr(p, p->sb->tables_off + t * MORSEL_TABLE_BYTES);
}

/* The hardware page table of a table pair (pooltable.c). */
static inline u64 *morsel_hwtable_ptr(struct morsel_pool *p, u64 t)
{
	return (void *)morsel_table_ptr(p, t) + PAGE_SIZE;
}

/* frame.c: the frame and table allocators (bitmaps in the coherent region) */
s64 morsel_frame_alloc(struct morsel_pool *p);
void morsel_frame_free(struct morsel_pool *p, u64 frame);
u64 morsel_frames_free(struct morsel_pool *p);
s64 morsel_table_alloc(struct morsel_pool *p);
void morsel_table_free(struct morsel_pool *p, u64 t);

/* directory.c: the object directory and the authoritative tables */
/* An object's permission bits and owner, as a file (fs.c). */
struct morsel_obj_owner {
	u32 mode, uid, gid;
};

/* One object of the directory, as morsel_dir_list() saw it. */
struct morsel_dir_item {
	unsigned int idx;
	u32 gen;
	char name[MORSEL_NAME_LEN];
};

int morsel_obj_create(struct morsel_pool *p, const char *name, u64 size,
		      const struct morsel_obj_owner *own, u32 coherence, u32 *gen);
int morsel_obj_lookup(struct morsel_pool *p, const char *name, u32 *gen);
int morsel_obj_delete(struct morsel_pool *p, const char *name);
int morsel_obj_remove(struct morsel_pool *p, unsigned int idx, u32 gen);
int morsel_obj_view_get(struct morsel_pool *p, unsigned int idx, u32 gen);
bool morsel_obj_view_put(struct morsel_pool *p, unsigned int idx);
void morsel_obj_reap(struct morsel_pool *p, unsigned int idx);
int morsel_obj_rename(struct morsel_pool *p, unsigned int idx, u32 gen,
		      const char *name, bool replace);
unsigned int morsel_dir_list(struct morsel_pool *p, unsigned int from,
			     struct morsel_dir_item *items, unsigned int max);
int morsel_obj_set_owner(struct morsel_pool *p, unsigned int idx, u32 gen,
			 const struct morsel_obj_owner *own);
int morsel_obj_grow(struct morsel_pool *p, unsigned int idx, u64 size);
bool morsel_obj_name_valid(const char *name, size_t len);
struct morsel_obj_entry *morsel_obj_entry(struct morsel_pool *p, unsigned int idx);
u64 *morsel_obj_pte(struct morsel_pool *p, unsigned int idx, u64 page);
struct morsel_chunk *morsel_obj_chunk(struct morsel_pool *p, unsigned int idx, u64 chunk);
u32 morsel_obj_table(struct morsel_pool *p, unsigned int idx, u64 chunk);
u64 morsel_obj_max_pages(struct morsel_pool *p);
u64 morsel_obj_table_pages(struct morsel_pool *p, unsigned int idx);
void morsel_dir_lock(struct morsel_pool *p);
void morsel_dir_unlock(struct morsel_pool *p);
void morsel_dir_lock_reset(struct morsel_pool *p);
unsigned int morsel_dir_forget_host(struct morsel_pool *p, unsigned int host, bool reap);
void morsel_obj_forget_links(struct morsel_pool *p, unsigned int idx, unsigned int host);

/* pooltable.c: the pool's hardware page tables */
struct device;
u64 morsel_hw_entry(unsigned long pfn);
void morsel_pooltable_attach(struct morsel_pool *p, struct device *dev);
bool morsel_pooltable_usable(struct morsel_pool *p);
u64 *morsel_obj_hwpte(struct morsel_pool *p, unsigned int idx, u64 page);
struct page *morsel_pooltable_page(struct morsel_pool *p, u32 t);
struct page *morsel_pooltable_link(struct morsel_pool *p, unsigned int idx, u64 chunk);
int morsel_pooltable_release(struct morsel_pool *p, unsigned int idx, u64 page,
			     morsel_own_step_t step, const struct morsel_own_req *req,
			     u64 *old, u64 *new);
int morsel_pooltable_punch(struct morsel_pool *p, unsigned int idx, u64 page,
			   const struct morsel_own_req *req, u64 *old, u64 *new);
int morsel_pooltable_fault(struct morsel_pool *p, unsigned int idx, u64 page,
			   struct morsel_own_req *req, u64 *old, u64 *new);

/* object.c: an object as a file of this host */
int morsel_obj_open_fd(struct morsel_pool *p, unsigned int idx, u32 gen);

/* fs.c: morselfs, the object directory as a file system */
int morsel_fs_init(struct morsel_pool *p);

/* filelock.c: record locks across hosts, in the pool's lock table */
int morsel_locks_conflict(const struct morsel_lock_rec *rec, unsigned int n,
			  const struct morsel_lock_rec *req);
int morsel_locks_apply(struct morsel_lock_rec *rec, unsigned int n,
		       const struct morsel_lock_rec *req, bool *released);
u64 morsel_filelock_stat(bool wakes);
unsigned int morsel_filelock_forget_host(struct morsel_pool *p, unsigned int host);
int morsel_filelock_init(struct morsel_pool *p);

/* registry.c: failures */
void morsel_host_declare_dead(struct morsel_pool *p, unsigned int host, u32 epoch);
bool morsel_host_fenced(struct morsel_pool *p, unsigned int host);
void morsel_registry_on_fence(void (*fn)(void));
void morsel_registry_on_dead(void (*fn)(struct morsel_pool *p, unsigned int host));

/* overlay.c, recall.c, writeback.c, subtree.c: what pool.c, dev.c, sysfs.c and kfunc.c use */
int morsel_overlay_init(void);
int morsel_overlays_show(struct seq_file *m);
u64 morsel_overlay_counter(unsigned int idx, unsigned int which);
u64 morsel_overlay_entry(unsigned int idx, u64 page);
u64 morsel_host_counter(unsigned int which);
const char *morsel_counter_name(unsigned int which);
int morsel_recall_init(void);
u64 morsel_pages_recovered(void);
void morsel_writeback_init(struct morsel_pool *p);
unsigned long morsel_pmd_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);

/* cache.c: write-back, invalidate; the stale-cache mode (copy.c) */
extern bool morsel_stale_cache;
void morsel_cache_writeback(void *addr);
void morsel_cache_invalidate(void *addr);

/* killpoint.c: failure tests stop a host at a point of the protocol */
enum morsel_kill_point {
	MORSEL_KILL_NONE,
	MORSEL_KILL_DIRLOCK,
	MORSEL_KILL_FRAME,
	MORSEL_KILL_RECALL,
};

void morsel_kill_point(struct morsel_pool *p, enum morsel_kill_point at);

/* dev.c, sysfs.c, stress.c */
int morsel_dev_init(struct morsel_pool *p);
int morsel_sysfs_init(struct morsel_pool *p);
struct dentry;
void morsel_stress_debugfs(struct morsel_pool *p, struct dentry *dir);

#define MORSEL_DEFAULT_TIMEOUT_MS	1000

#endif /* _MM_MORSEL_INTERNAL_H */
