/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Morsels: shared virtual-memory objects on a CXL memory pool.
 *
 * The one definition of the user-visible interface, used by the kernel,
 * the tests, the benchmarks and the policy loader alike.
 *
 * /dev/morsel
 *   ioctl MORSEL_IOC_POOL_INFO   describe the attached pool and this host
 *   ioctl MORSEL_IOC_PING        timed request/acknowledge round trips
 *   ioctl MORSEL_IOC_CREATE      create a named object; returns its fd
 *   ioctl MORSEL_IOC_OPEN        open a named object; returns its fd
 *   ioctl MORSEL_IOC_DELETE      delete a named object (none may map it)
 *   mmap  offset 0               the pool's scratch area (root only):
 *                                coherent pool memory for tests/benchmarks
 *   mmap  MORSEL_MMAP_DATA + off the pool's data region, read-only (root
 *                                only): plain pool memory, the baseline of
 *                                benchmarks, mapped as device DAX maps it
 *                                (a 2 MiB PMD per fault where aligned);
 *                                MORSEL_MMAP_DATA_PAGES + off: by 4 KiB
 *
 * object fd (one overlay per host per object, shared by all its mappings)
 *   mmap (MAP_SHARED)            map this host's overlay of the object
 *   ioctl MORSEL_OBJ_STAT        size, pages, this host's counters
 *   ioctl MORSEL_OBJ_RESIZE      grow or shrink (shrinking punches the tail)
 *   ioctl MORSEL_OBJ_PUNCH       remove pages, on every host
 *   ioctl MORSEL_OBJ_ENTRIES     read authoritative page-table entries
 *   ioctl MORSEL_OBJ_HWENTRIES   read the pool's hardware page-table entries
 *                                (x86-64 PTEs every host's MMU may walk)
 *   fsync, msync(MS_SYNC)        a sync point: the ownership policy
 *                                decides, per page this host owns, whether
 *                                to write it back and share it now
 */
#ifndef _UAPI_LINUX_MORSEL_H
#define _UAPI_LINUX_MORSEL_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/morsel_pte.h>

#define MORSEL_DEV_PATH		"/dev/morsel"

/* mmap offsets of /dev/morsel beyond the scratch area (see above). */
#define MORSEL_MMAP_DATA	(1ULL << 40)
#define MORSEL_MMAP_DATA_PAGES	(2ULL << 40)
#define MORSEL_MAX_HOSTS	16

/* struct morsel_pool_info.doorbell */
#define MORSEL_DOORBELL_NONE	0	/* polled mailboxes only */
#define MORSEL_DOORBELL_IVSHMEM	1	/* ivshmem-doorbell MSI-X */

struct morsel_pool_info {
	__u64 pool_size;	/* bytes of the pool range */
	__u64 coherent_size;	/* bytes of the coherent region */
	__u64 data_offset;	/* pool offset of the data region */
	__u64 scratch_size;	/* bytes mappable at offset 0 of /dev/morsel */
	__u64 uuid[2];		/* pool identity, set at format */
	__u32 version;		/* pool layout version */
	__u32 host_id;		/* this host's id in the registry */
	__u32 epoch;		/* this host's incarnation */
	__u32 max_hosts;
	__u32 hosts_alive;	/* bitmap of hosts in state ALIVE */
	__u32 doorbell;		/* MORSEL_DOORBELL_* */
	__u32 lease_ms;		/* a silent host is declared dead after this */
	__u32 table_bytes;	/* coherent bytes of page tables per 2 MiB of an object */
};

/* struct morsel_ping.flags */
#define MORSEL_PING_POLL	(1U << 0)	/* polled mailboxes, no doorbell */
#define MORSEL_PING_FLAGS	MORSEL_PING_POLL

#define MORSEL_PING_MAX		1000000

/*
 * Send @count PING requests to host @dst, one at a time, each answered by
 * the receiving host's handler. With MORSEL_PING_POLL both sides poll the
 * mailbox (the receiver is asked to poll for the duration); otherwise the
 * request and its acknowledgment each travel with a doorbell interrupt.
 * The round-trip time of request i is stored in ((__u64 *)rtt_ns)[i] when
 * rtt_ns is not 0. Every answer is checked; @completed counts good ones.
 */
struct morsel_ping {
	__u32 dst;
	__u32 count;
	__u32 flags;
	__u32 timeout_ms;	/* per round trip; 0 = the channel default */
	__u64 rtt_ns;		/* user pointer to __u64[count], or 0 */
	__u32 completed;	/* out */
	__u32 reserved;
};

/*
 * struct morsel_create.flags: how hosts keep their views of the object's
 * data, for comparisons in one boot (at most one; none: morsels, every
 * host maps the pool's frames and writes back cache lines).
 *  PAGECOPY  page-copy DSM (IVY-style): a host maps a host-local copy of
 *            each page, copied in whole at its fault and written back
 *            whole when it gives the page up;
 *  TWINDIFF  twin-and-diff DSM (TreadMarks-style): the same copies, plus a
 *            twin taken when write access is granted; only the 8-byte
 *            words that differ from the twin are written back;
 *  PLAIN     no protocol: every host maps the pool's frame writable at its
 *            first fault and keeps it (a frame is still given at first
 *            touch, a punch still revokes). What full hardware coherence
 *            would give: an upper bound, correct only where the pool is
 *            hardware-coherent. The stale-cache emulation does not apply
 *            to it (it would be wrong there by construction).
 */
#define MORSEL_CREATE_PAGECOPY	(1u << 0)
#define MORSEL_CREATE_TWINDIFF	(1u << 1)
#define MORSEL_CREATE_PLAIN	(1u << 2)
#define MORSEL_CREATE_FLAGS	(MORSEL_CREATE_PAGECOPY | MORSEL_CREATE_TWINDIFF | \
				 MORSEL_CREATE_PLAIN)

/* struct morsel_obj_stat.coherence */
enum morsel_coherence {
	MORSEL_COHERENCE_LINES = 0,	/* morsels: cache lines on the pool */
	MORSEL_COHERENCE_PAGECOPY,
	MORSEL_COHERENCE_TWINDIFF,
	MORSEL_COHERENCE_PLAIN,		/* no protocol: an upper bound */
};

struct morsel_create {
	char name[32];		/* NUL-terminated, [A-Za-z0-9._-], not empty */
	__u64 size;		/* bytes, > 0, at most the pool's object limit */
	__u32 flags;		/* MORSEL_CREATE_*, at most one */
	__u32 reserved;
};

struct morsel_open {
	char name[32];
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 reserved;
};

struct morsel_punch {
	__u64 offset;		/* bytes, page aligned */
	__u64 len;		/* bytes, page aligned, > 0 */
};

struct morsel_obj_stat {
	__u64 size;
	__u64 max_size;		/* the largest size this pool allows */
	__u32 index;		/* directory slot */
	__u32 gen;
	__u32 views;		/* bitmap of hosts with the object open */
	__u32 mapped;		/* bitmap of hosts that map it */
	__u32 coherence;	/* enum morsel_coherence */
	__u32 reserved;
	__u64 pages_present;	/* pages with a frame */
	__u64 pages_exclusive;
	__u64 pages_shared;
	/* this host's counters for this object, in mm/morsel/counters.h order */
	__u64 read_faults;
	__u64 write_faults;
	__u64 transfers;	/* exclusive ownership taken from other hosts */
	__u64 recalls_sent;	/* one per host asked */
	__u64 recalls_handled;
	__u64 writebacks;
	__u64 invalidates;
	__u64 shootdowns;
	__u64 links;		/* PMDs linked to this host's tables */
	__u64 unlinks;
	__u64 tables;		/* PTE tables made on this host */
	__u64 prefills;	/* pages mapped when a table was made */
	__u64 pool_links;	/* of the links: to the pool's hardware tables */
	__u64 privatized;	/* chunks that left the pool's table for one of ours */
	__u64 relinks;		/* chunks whose table of ours went, back to the pool's */
	__u64 held;		/* recalls parked by the minimum hold */
	__u64 pages_copied;	/* host-local copies filled from the pool */
	__u64 bytes_from_pool;	/* copied from the pool into copies */
	__u64 bytes_to_pool;	/* written back: bytes changed, lines dirty or pages */
	__u64 lines_flushed;	/* cache lines written back by clwb (dirty or not) */
	__u64 lines_dirty;	/* of a write-back's lines, those that had changed */
	__u64 copy_pages;	/* host-local copies held now (a level) */
};

struct morsel_entries {
	__u64 first;		/* page index */
	__u64 count;
	__u64 entries;		/* user pointer to __u64[count] */
};

#define MORSEL_IOC_MAGIC	0xB8
#define MORSEL_IOC_POOL_INFO	_IOR(MORSEL_IOC_MAGIC, 0x00, struct morsel_pool_info)
#define MORSEL_IOC_PING		_IOWR(MORSEL_IOC_MAGIC, 0x01, struct morsel_ping)
#define MORSEL_IOC_CREATE	_IOW(MORSEL_IOC_MAGIC, 0x02, struct morsel_create)
#define MORSEL_IOC_OPEN		_IOW(MORSEL_IOC_MAGIC, 0x03, struct morsel_open)
#define MORSEL_IOC_DELETE	_IOW(MORSEL_IOC_MAGIC, 0x04, struct morsel_open)

#define MORSEL_OBJ_STAT		_IOR(MORSEL_IOC_MAGIC, 0x10, struct morsel_obj_stat)
#define MORSEL_OBJ_RESIZE	_IOW(MORSEL_IOC_MAGIC, 0x11, __u64)
#define MORSEL_OBJ_PUNCH	_IOW(MORSEL_IOC_MAGIC, 0x12, struct morsel_punch)
#define MORSEL_OBJ_ENTRIES	_IOW(MORSEL_IOC_MAGIC, 0x13, struct morsel_entries)
#define MORSEL_OBJ_HWENTRIES	_IOW(MORSEL_IOC_MAGIC, 0x14, struct morsel_entries)

#endif /* _UAPI_LINUX_MORSEL_H */
