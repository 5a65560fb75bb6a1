/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pool-resident structures. Everything here lives in the shared pool and is
 * read by every host, so:
 *  - fields have fixed sizes and little-endian layout (all hosts are x86-64);
 *  - positions are pool-relative byte offsets, never host addresses: the
 *    pool sits at a different physical address on every real host;
 *  - structures shared between hosts are in the coherent region, and each
 *    word written by more than one host is only changed with atomics.
 *
 * Pool layout (version 6), offsets from the start of the pool:
 *
 *   0             superblock (one page, immutable after format)
 *   registry_off  host registry: MORSEL_MAX_HOSTS cache lines
 *   rings_off     mailbox rings: one per ordered (sender, receiver) pair
 *   scratch_off   scratch area for tests and benchmarks (mmap of /dev/morsel)
 *   heap_off      object directory, frame bitmap, the objects' chunk
 *                 directories (one per directory entry), the table bitmap,
 *                 then the page tables themselves, up to coherent_size
 *   data_off      data region (not coherent): frames, up to pool_size
 */
#ifndef _MM_MORSEL_LAYOUT_H
#define _MM_MORSEL_LAYOUT_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/cache.h>
#include <linux/sizes.h>
#include <uapi/linux/morsel.h>

#define MORSEL_POOL_MAGIC	0x4c504c45534f524dULL	/* "MORSELPL" */
#define MORSEL_POOL_FORMATTING	0x21474e4954544d46ULL	/* "FMTTING!" */
#define MORSEL_POOL_VERSION	6

#define MORSEL_RING_SLOTS	64	/* power of two */
#define MORSEL_SCRATCH_SIZE	SZ_1M
#define MORSEL_MIN_COHERENT	SZ_4M

/**
 * struct morsel_sb - the pool superblock, at pool offset 0.
 *
 * @magic is the format lock as well: a host that finds an all-zero page
 * claims it with cmpxchg(0 -> MORSEL_POOL_FORMATTING), formats, and
 * publishes MORSEL_POOL_MAGIC last. @csum covers every field after it.
 */
struct morsel_sb {
	u64 magic;
	u32 csum;		/* crc32 of the bytes from @version to the end */
	u32 version;
	u64 pool_size;
	u64 coherent_size;
	u64 registry_off;
	u64 rings_off;
	u64 scratch_off;
	u64 heap_off;
	u64 data_off;
	u64 uuid[2];
	u32 max_hosts;
	u32 ring_slots;
	u32 slot_size;
	u32 host_entry_size;
	u32 lease_ms;
	u32 reserved;
	u64 dir_off;		/* struct morsel_dir */
	u64 bitmap_off;		/* one bit per data frame, set = in use */
	u64 cdir_off;		/* chunk directories, one per directory entry */
	u64 cdir_bytes;		/* bytes of one: a struct morsel_chunk per 2 MiB */
	u64 tmap_off;		/* one bit per table pair, set = in use */
	u64 tables_off;		/* table pairs, MORSEL_TABLE_BYTES each */
	u64 ntables;		/* pair 0 is the hole: all zero, never given out */
	u64 phys;		/* physical address of the pool at the formatter */
};

/* Host states in the registry; transitions in registry.c. */
enum morsel_host_state {
	MORSEL_HOST_FREE = 0,	/* never joined */
	MORSEL_HOST_ALIVE,	/* joined, heartbeat running */
	MORSEL_HOST_LEFT,	/* left cleanly (reboot, detach) */
	MORSEL_HOST_DEAD,	/* declared dead by a survivor: lease expired */
};

/**
 * struct morsel_host_entry - one host in the registry (one cache line).
 * @state_epoch: (epoch << 32) | state, changed only by cmpxchg so that a
 *	survivor declaring a host dead cannot overwrite a newer incarnation.
 * @heartbeat: incremented by the host itself every heartbeat period.
 * @doorbell: MORSEL_DOORBELL_* of the host's receive side.
 * @polling: non-zero while the host's handler busy-polls its mailboxes;
 *	senders then skip the doorbell.
 */
struct morsel_host_entry {
	u64 state_epoch;
	u64 heartbeat;
	u32 doorbell;
	u32 polling;
	u32 ncpus;
	u32 declared_by;	/* host that declared this one dead */
	u8 pad[32];
} ____cacheline_aligned;

/*
 * Mailbox ring from one sender to one receiver. Single producer (the
 * sender host, whose CPUs serialise on a host-local lock), single consumer
 * (the receiver's handler thread). @tail is written only by the sender,
 * @head only by the receiver; they live on separate cache lines.
 *
 * Slot protocol (seq = ring position + 1, so 0 never names a request):
 *  sender:   wait tail - head < slots; fill slot; slot.seq = seq; tail++
 *  receiver: for head < tail: handle slot; write results; slot.done = seq;
 *            head++
 * The sender owns a slot again once head has passed it; it reads the answer
 * of request seq when slot.done == seq. Release/acquire pairs: slot before
 * tail, results before done, done before head.
 */
struct morsel_ring_ctl {
	u64 tail ____cacheline_aligned;
	u64 head ____cacheline_aligned;
};

struct morsel_slot {
	u64 seq;
	u64 done;
	u16 type;		/* enum morsel_msg_type */
	u16 flags;		/* MORSEL_MSG_F_* */
	u32 src_epoch;		/* sender's epoch */
	u32 dst_epoch;		/* the receiver's epoch the sender saw */
	s32 result;		/* 0 or -errno, written by the receiver */
	u64 arg[2];
	u64 ret[2];
} ____cacheline_aligned;

/* The sender polls for the answer: do not ring its doorbell. */
#define MORSEL_MSG_F_POLLED	BIT(0)

/*
 * @xfer[i] is the transfer that the request in slot i serves (xfer.c; 0:
 * none), for tracing only. It is written with the slot, before tail, and
 * kept apart so that a slot stays one cache line.
 */
struct morsel_ring {
	struct morsel_ring_ctl ctl;
	struct morsel_slot slot[MORSEL_RING_SLOTS];
	u64 xfer[MORSEL_RING_SLOTS];
};

/*
 * Objects. The directory has MORSEL_MAX_OBJECTS entries; entry i owns a
 * chunk directory: for every 2 MiB of the object, a struct morsel_chunk
 * naming its table pair, or 0 for none (the hole pair, which reads as
 * pages never touched). A pair is two 4 KiB pages of 512 entries each: the
 * authoritative entries (8 bytes per 4 KiB page, see ownership.c for the
 * encoding), then the pool's hardware page table of the same pages
 * (pooltable.c), which hosts' MMUs walk. So the coherent region holds 16
 * bytes per 4 KiB page, and 8 bytes of chunk directory per 2 MiB. Tables
 * are allocated when an object is created or grows, up to the largest size
 * it has had, and freed when it is deleted, so an object can be as large as
 * the data region while small objects use little of the coherent region.
 * A chunk directory changes only under dir_lock and is read lock-free: a
 * table number is published (release) before the size that reaches it,
 * and a table is freed only when its object is deleted.
 * Directory changes are serialised by dir_lock, a cross-host lock word
 * (host id + 1 of the holder, broken when the holder is declared dead).
 */
#define MORSEL_MAX_OBJECTS	64
#define MORSEL_TABLE_BYTES	SZ_8K	/* authoritative + hardware table */

/**
 * struct morsel_chunk - 2 MiB of an object, in its chunk directory.
 * @table: the table pair, 0 for the hole; changes under dir_lock only.
 * @linked: hosts whose processes may reach the pool's hardware table of
 *	the chunk (pooltable.c): a host sets its bit with a locked OR before
 *	it links the table; a writer reads the set after it cleared the
 *	page's hardware entry with a locked exchange, and revokes every host
 *	in it as a reader. Cleared by the host when its overlay goes (after
 *	its unlinks flushed), or for it when it is dead.
 */
struct morsel_chunk {
	u32 table;
	u32 linked;
};

#define MORSEL_NAME_LEN		32	/* including the NUL */

/*
 * FREE -> LIVE at create; LIVE -> ORPHAN at delete (the name is gone, the
 * tables and frames stay while some host has the object open: a host may
 * be between its last look at the entry and a change of a page's entry);
 * ORPHAN -> FREE when the last host closes it or is swept. All under
 * dir_lock, with @views the handshake (directory.c).
 */
enum morsel_obj_state {
	MORSEL_OBJ_FREE = 0,
	MORSEL_OBJ_LIVE,
	MORSEL_OBJ_ORPHAN,
};

/**
 * struct morsel_obj_entry - one object in the directory.
 * @state: enum morsel_obj_state.
 * @gen: incremented at create and when the entry is freed: stale handles
 *	see a new value (an ORPHAN keeps its generation).
 * @size: bytes; pages beyond it fault with SIGBUS.
 * @views: bitmap of hosts that have the object open: set before a host's
 *	first look at the entry, cleared after its last access (locked
 *	operations, each a full barrier).
 * @mapped: bitmap of hosts that have it mapped by at least one process.
 * @creator: host id of the host that created it.
 * @coherence: enum morsel_coherence, fixed at create.
 * @mode: permission bits, as a file (fs.c); 0 in an older pool: 0600.
 * @uid: owner, as a file: the same numbers on every host.
 * @gid: group, likewise.
 * @mtime_ns: last write or size change (CLOCK_REALTIME), as a file.
 *
 * @name, @size, @mode, @uid and @gid change under dir_lock and are read
 * lock-free field by field (a reader may see a chmod half done, as a
 * stat racing one may); @mtime_ns is a plain store by any host that
 * writes, the last one wins.
 */
struct morsel_obj_entry {
	u32 state;
	u32 gen;
	char name[MORSEL_NAME_LEN];
	u64 size;
	u32 views;
	u32 mapped;
	u32 creator;
	u32 coherence;
	u32 mode;
	u32 uid;
	u32 gid;
	u32 reserved2;
	u64 mtime_ns;
	u8 pad[24];
} ____cacheline_aligned;

/*
 * Record locks of morselfs files (fcntl, OFD and flock locks; filelock.c),
 * held across hosts. The table is the authority on every lock of every
 * host; it changes, and is read, under dir_lock only.
 */
#define MORSEL_MAX_LOCKS	256

enum morsel_lock_kind {
	MORSEL_LOCK_POSIX = 1,	/* fcntl and OFD locks: they conflict */
	MORSEL_LOCK_FLOCK,	/* flock(): only with each other */
};

/**
 * struct morsel_lock_rec - one held lock: a byte range of one object.
 * @obj: directory index + 1; 0 for a free slot.
 * @gen: the object's generation: once it differs, the slot is free.
 * @owner: the lock owner on @host: its fl_owner (a process's file table,
 *	or the open file of an OFD or flock lock), compared, never used.
 * @start: first byte.
 * @end: last byte, inclusive (OFFSET_MAX: to the end of the file).
 * @pid: the holder, as F_GETLK reports it on @host.
 * @host: the host that holds it.
 * @type: F_RDLCK or F_WRLCK.
 * @kind: enum morsel_lock_kind.
 */
struct morsel_lock_rec {
	u32 obj;
	u32 gen;
	u64 owner;
	u64 start;
	u64 end;
	u32 pid;
	u8 host;
	u8 type;
	u8 kind;
	u8 pad;
};

/**
 * struct morsel_locks - the lock table.
 * @waiters: hosts with a task asleep in F_SETLKW (or flock without
 *	LOCK_NB) that found a conflict: whoever releases a range wakes them.
 *	A host sets its bit under dir_lock together with the failed check;
 *	it clears it (locked AND) when its last waiter is done.
 * @rec: the locks, in no order.
 */
struct morsel_locks {
	u32 waiters ____cacheline_aligned;
	u32 reserved;
	struct morsel_lock_rec rec[MORSEL_MAX_LOCKS];
};

struct morsel_dir {
	u64 dir_lock ____cacheline_aligned;
	struct morsel_obj_entry obj[MORSEL_MAX_OBJECTS];
	struct morsel_locks locks;
};

/* Ring from @src to @dst, at rings_off + index * sizeof(struct morsel_ring). */
static inline unsigned int morsel_ring_index(unsigned int src, unsigned int dst)
{
	return src * MORSEL_MAX_HOSTS + dst;
}

#endif /* _MM_MORSEL_LAYOUT_H */
