// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "pool_client.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int pool_open(struct pool_client *pc)
{
	void *m;

	memset(pc, 0, sizeof(*pc));
	pc->fd = open(MORSEL_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (pc->fd < 0)
		return -errno;
	if (pool_refresh(pc))
		return -errno;
	m = mmap(NULL, pc->info.scratch_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED, pc->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	pc->ctl = m;
	pc->data = (unsigned char *)m + SCRATCH_DATA_OFF;
	pc->data_size = pc->info.scratch_size - SCRATCH_DATA_OFF;
	return 0;
}

int pool_refresh(struct pool_client *pc)
{
	return ioctl(pc->fd, MORSEL_IOC_POOL_INFO, &pc->info) ? -errno : 0;
}

int pool_ping(struct pool_client *pc, unsigned int dst, unsigned int count,
	      unsigned int flags, unsigned int timeout_ms, uint64_t *rtt,
	      unsigned int *completed)
{
	struct morsel_ping req = {
		.dst = dst, .count = count, .flags = flags,
		.timeout_ms = timeout_ms, .rtt_ns = (uintptr_t)rtt,
	};
	int ret = ioctl(pc->fd, MORSEL_IOC_PING, &req) ? -errno : 0;

	if (completed)
		*completed = req.completed;
	return ret;
}

int pool_wait_alive(struct pool_client *pc, uint32_t mask, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		if (pool_refresh(pc))
			return -errno;
		if ((pc->info.hosts_alive & mask) == mask)
			return 0;
		if (now_ns() > end)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
}

/* Wait until barrier slot @b counts @target arrivals. */
static int barrier_wait(struct pool_client *pc, volatile uint64_t *b, uint64_t target,
			int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(b, __ATOMIC_ACQUIRE) < target) {
		if (pool_aborted(pc))
			return -ECANCELED;
		if (now_ns() > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	return 0;
}

int pool_barrier(struct pool_client *pc, unsigned int idx, unsigned int n,
		 int timeout_ms)
{
	return barrier_wait(pc, &pc->ctl->barrier[idx], n, timeout_ms);
}

int pool_barrier_again(struct pool_client *pc, unsigned int idx, unsigned int n,
		       uint64_t *passes, int timeout_ms)
{
	return barrier_wait(pc, &pc->ctl->barrier[idx], n * ++*passes, timeout_ms);
}

void pool_abort(struct pool_client *pc)
{
	if (pc->ctl)
		__atomic_store_n(&pc->ctl->abort, 1, __ATOMIC_RELEASE);
}

void pool_fail(struct pool_client *pc, const char *prog, unsigned int host, const char *fmt, ...)
{
	va_list ap;

	pool_abort(pc);
	fprintf(stderr, "%s: host %u: ", prog, host);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int pool_aborted(struct pool_client *pc)
{
	return pc->ctl && __atomic_load_n(&pc->ctl->abort, __ATOMIC_ACQUIRE);
}

int sysfs_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	return 0;
}

int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC), err = 0;
	ssize_t n = (ssize_t)strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

long long sysfs_num(const char *path)
{
	char buf[64];

	if (sysfs_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

static const char *const own_names[OWN_COUNTS] = { "read_faults", "write_faults", "transfers",
						     "recalls_sent", "writebacks", "bytes_to_pool",
						     "bytes_from_pool" };

void own_counts_read(struct own_counts *c)
{
	char path[96];
	unsigned int i;

	for (i = 0; i < OWN_COUNTS; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/morsel/ownership/%s", own_names[i]);
		c->v[i] = sysfs_num(path);
	}
}

void own_counts_per_op(char *buf, size_t len, const struct own_counts *a,
		       const struct own_counts *b, unsigned long n, const char *what)
{
	double d[OWN_COUNTS];
	unsigned int i;

	for (i = 0; i < OWN_COUNTS; i++)
		d[i] = n ? (double)(b->v[i] - a->v[i]) / (double)n : 0;
	snprintf(buf, len,
		 "per %s: %.1f read faults, %.1f write faults, %.1f transfers, %.1f recalls sent, %.1f write-backs, %.0f bytes written back, %.0f copied in",
		 what, d[0], d[1], d[2], d[3], d[4], d[5], d[6]);
}

long long chan_stat(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/morsel/channel/%s", name);
	return sysfs_num(path);
}

int cmdline_str(const char *key, char *buf, size_t len)
{
	char line[4096], *p, *tok;
	size_t kl = strlen(key);

	if (sysfs_str("/proc/cmdline", line, sizeof(line)))
		return -1;
	for (tok = strtok_r(line, " ", &p); tok; tok = strtok_r(NULL, " ", &p)) {
		if (!strncmp(tok, key, kl) && tok[kl] == '=') {
			snprintf(buf, len, "%s", tok + kl + 1);
			return 0;
		}
	}
	return -1;
}

int cmdline_int(const char *key, int def)
{
	char buf[32];

	return cmdline_str(key, buf, sizeof(buf)) ? def : atoi(buf);
}

void cmdline_accel(char *buf, size_t len)
{
	char *c;

	if (cmdline_str("maccel", buf, len))
		snprintf(buf, len, "?");
	for (c = buf; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
}
