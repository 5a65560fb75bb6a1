/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space access to the pool from inside a host: /dev/morsel, the
 * scratch area, sysfs counters, and a cross-host barrier on the scratch.
 */
#ifndef MORSEL_POOL_CLIENT_H
#define MORSEL_POOL_CLIENT_H

#include <stdint.h>
#include <linux/morsel.h>

/* Layout of the scratch area as the tests and benchmarks use it. */
#define SCRATCH_CTL_BARRIERS 64
struct scratch_ctl {
	uint64_t barrier[SCRATCH_CTL_BARRIERS];
	uint64_t flag[64];
	uint64_t abort; /* set by a host that gives up: barriers end */
};
#define SCRATCH_DATA_OFF 4096

struct pool_client {
	int fd;
	struct morsel_pool_info info;
	volatile struct scratch_ctl *ctl;
	unsigned char *data;	/* scratch after the control page */
	size_t data_size;
};

int pool_open(struct pool_client *pc);
int pool_refresh(struct pool_client *pc);
int pool_ping(struct pool_client *pc, unsigned int dst, unsigned int count,
	      unsigned int flags, unsigned int timeout_ms, uint64_t *rtt,
	      unsigned int *completed);
int pool_wait_alive(struct pool_client *pc, uint32_t mask, int timeout_ms);
/* 0, -ETIMEDOUT, or -ECANCELED once a host called pool_abort(). */
int pool_barrier(struct pool_client *pc, unsigned int idx, unsigned int n,
		 int timeout_ms);
/*
 * The same barrier slot used again and again (the same @n hosts pass each
 * time): *@passes counts this host's passes, 0 at first.
 */
int pool_barrier_again(struct pool_client *pc, unsigned int idx, unsigned int n,
		       uint64_t *passes, int timeout_ms);
/* Tell every host's barriers to give up: this host will not arrive. */
void pool_abort(struct pool_client *pc);
/* A bench gives up: pool_abort(), "PROG: host H: why" on stderr, exit 1. */
__attribute__((format(printf, 4, 5), noreturn)) void
pool_fail(struct pool_client *pc, const char *prog, unsigned int host, const char *fmt, ...);
int pool_aborted(struct pool_client *pc);

long long sysfs_num(const char *path);
int sysfs_str(const char *path, char *buf, size_t len);
/* Write @s to a sysfs, tracefs or debugfs file: 0 or -errno. */
int sysfs_write(const char *path, const char *s);
long long chan_stat(const char *name);

/* The ownership counters a workload's cost is told in, this host's. */
#define OWN_COUNTS 7
struct own_counts {
	long long v[OWN_COUNTS];
};
void own_counts_read(struct own_counts *c);
/* "R read faults, W write faults, ... per @what" from @a to @b over @n. */
void own_counts_per_op(char *buf, size_t len, const struct own_counts *a,
		       const struct own_counts *b, unsigned long n, const char *what);

uint64_t now_ns(void);
void sleep_ms(unsigned int ms);
int cmdline_int(const char *key, int def);
int cmdline_str(const char *key, char *buf, size_t len);
/* The accelerator (maccel=), upper-case as the benchmarks print it. */
void cmdline_accel(char *buf, size_t len);

#endif
