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
 *   mmap  offset 0               the pool's scratch area (root only):
 *                                coherent pool memory for tests/benchmarks
 */
#ifndef _UAPI_LINUX_MORSEL_H
#define _UAPI_LINUX_MORSEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MORSEL_DEV_PATH		"/dev/morsel"
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
	__u32 reserved;
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

#define MORSEL_IOC_MAGIC	0xB8
#define MORSEL_IOC_POOL_INFO	_IOR(MORSEL_IOC_MAGIC, 0x00, struct morsel_pool_info)
#define MORSEL_IOC_PING		_IOWR(MORSEL_IOC_MAGIC, 0x01, struct morsel_ping)

#endif /* _UAPI_LINUX_MORSEL_H */
