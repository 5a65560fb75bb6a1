// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest TAP tests of the pool platform. Every host of a run executes the
 * same job; each acts by its host id. Jobs:
 *
 *   basic    N hosts: registry, shared bytes, 10,000 doorbell round trips,
 *            cross-host atomics on the scratch area
 *   late     3 hosts, host 2 boots late: it sees the others, they see it
 *   failure  3 hosts: host 1 crashes, host 2 powers off; host 0 notices both
 *   refused  the pool was corrupted before boot: attach refuses it
 *   ioctl    bad arguments to /dev/morsel get precise errnos
 *   trace    morsel:* tracepoints fire on both ends; bpftool sees our BTF
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pool_client.h"
#include "tap.h"

#define BARRIER_MS 120000

static struct pool_client pc;
static unsigned int me, nhosts;
static char prefix[32];

static uint8_t pattern_byte(unsigned int host, size_t i)
{
	uint64_t x = pc.info.uuid[0] ^ ((uint64_t)host << 56) ^ i;

	x *= 0x9e3779b97f4a7c15ull;
	return (uint8_t)(x >> 56);
}

static int online(void)
{
	char state[32] = "";
	int err;

	sysfs_str("/sys/kernel/morsel/pool/state", state, sizeof(state));
	if (!tap_ok(!strcmp(state, "online"), "pool state is online (got '%s')", state))
		return 0;
	err = pool_open(&pc);
	if (!tap_step(!err, "open %s, pool info, map scratch (%s)",
		      MORSEL_DEV_PATH, strerror(-err)))
		return 0;
	me = pc.info.host_id;
	snprintf(prefix, sizeof(prefix), "host%u: ", me);
	tap_prefix = prefix;
	tap_diag("host %u epoch %u, pool %llu MiB, coherent %llu MiB, lease %u ms",
		 me, pc.info.epoch, (unsigned long long)pc.info.pool_size >> 20,
		 (unsigned long long)pc.info.coherent_size >> 20, pc.info.lease_ms);
	return 1;
}

static uint32_t all_hosts(void)
{
	return (1u << nhosts) - 1;
}

/* A barrier is a step, not a result: "# barrier ..." or "not ok ...". */
static int barrier(unsigned int idx, unsigned int n)
{
	return tap_step(!pool_barrier(&pc, idx, n, BARRIER_MS),
			"barrier %u: %u hosts", idx, n);
}

/* Each host writes its own slice; every host checks every other slice. */
static void shared_bytes(void)
{
	size_t slice = (pc.data_size / nhosts) & ~(size_t)63, i;
	unsigned int h, bad_hosts = 0;

	for (i = 0; i < slice; i++)
		pc.data[me * slice + i] = pattern_byte(me, i);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	barrier(1, nhosts);
	for (h = 0; h < nhosts; h++) {
		size_t bad = 0;

		if (h == me)
			continue;
		for (i = 0; i < slice; i++)
			bad += pc.data[h * slice + i] != pattern_byte(h, i);
		if (bad) {
			bad_hosts++;
			tap_diag("%zu of %zu bytes written by host %u differ", bad, slice, h);
		}
	}
	tap_ok(!bad_hosts, "sees the %zu-byte patterns of all %u other hosts",
	       slice, nhosts - 1);
}

/*
 * Host h pings host h+1; everyone is a sender and a receiver at once. The
 * counters are read before the barrier that starts the senders.
 */
static void round_trips(void)
{
	const unsigned int count = 10000;
	unsigned int dst = (me + 1) % nhosts, done = 0;
	long long handled0 = chan_stat("handled"), irqs0 = chan_stat("doorbell_irqs");
	long long late0 = chan_stat("late"), tmo0 = chan_stat("timeouts");
	long long handled, irqs;
	int err;

	barrier(2, nhosts);
	err = pool_ping(&pc, dst, count, 0, 2000, NULL, &done);
	tap_ok(!err && done == count,
	       "%u round trips to host %u: %u answered correctly (%s)",
	       count, dst, done, strerror(-err));
	tap_ok(chan_stat("timeouts") == tmo0, "no request timed out");
	barrier(3, nhosts);
	handled = chan_stat("handled") - handled0;
	irqs = chan_stat("doorbell_irqs") - irqs0;
	/* In a ring of hosts each one receives only from its predecessor. */
	tap_ok(handled == (nhosts == 1 ? 0 : count),
	       "handled exactly %u requests from host %u (got %lld)", count,
	       (me + nhosts - 1) % nhosts, handled);
	if (pc.info.doorbell == MORSEL_DOORBELL_NONE)
		tap_ok(irqs == 0 && chan_stat("polling") == 1,
		       "polled back-end: the handler polls, no interrupts (%lld)", irqs);
	else
		tap_ok(chan_stat("late") == late0 && irqs > 0 && chan_stat("polling") == 0,
		       "driven by interrupts: %lld doorbell interrupts, no request found by the fallback scan",
		       irqs);
}

/*
 * The ownership protocol rests on one property of the platform: a locked
 * read-modify-write on the pool is atomic between hosts, not only between
 * the vCPUs of one QEMU process. Check it the way the protocol uses it:
 * every host increments shared counters with cmpxchg loops and counts its
 * successes; if two hosts ever both succeed from the same old value, the
 * counter ends below the sum. First from user space (lock xadd and lock
 * cmpxchg), then in the kernel through debugfs morsel/atomic_stress: with
 * pool_cmpxchg(), which every pool update uses, and, for information only,
 * with the kernel's cmpxchg(), whose LOCK prefix a one-CPU kernel drops.
 */
struct atomics_area {
	uint64_t xadd __attribute__((aligned(64)));
	uint64_t cas __attribute__((aligned(64)));
	uint64_t kernel __attribute__((aligned(64)));
	uint64_t plain __attribute__((aligned(64)));
	uint64_t wins[64] __attribute__((aligned(64)));
	uint64_t retries[3 * 8][64];	/* per run and round: hosts collided */
};

#define STRESS_PATH "/sys/kernel/debug/morsel/atomic_stress"

/* Run the kernel's stress on one word; returns its retries, or -errno. */
static long long kernel_stress(uint64_t *word, unsigned int count, int plain)
{
	char cmd[64];
	long long retries = -1;
	FILE *f;
	int err;

	snprintf(cmd, sizeof(cmd), "%zu %u%s", (size_t)((unsigned char *)word -
		 (unsigned char *)pc.ctl), count, plain ? " plain" : "");
	err = sysfs_write(STRESS_PATH, cmd);
	if (err)
		return err;
	f = fopen(STRESS_PATH, "r");
	if (!f || fscanf(f, "%*s %*u %lld", &retries) != 1)
		retries = -EIO;
	if (f)
		fclose(f);
	return retries;
}

/*
 * Start every host at once: the sleeping barrier releases hosts
 * milliseconds apart, longer than a short run takes. Spins on a flag word.
 * A step that says nothing when it succeeds: a line on the serial console
 * would cost the start it is there to align.
 */
static int spin_start(unsigned int i)
{
	uint64_t end = now_ns() + BARRIER_MS * 1000000ull;

	__atomic_fetch_add(&pc.ctl->flag[i], 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&pc.ctl->flag[i], __ATOMIC_ACQUIRE) < nhosts)
		if (now_ns() > end)
			return tap_step(0, "start %u: %u hosts", i, nhosts);
	return 1;
}

#define ATOMIC_COUNT	200000
#define ATOMIC_ROUNDS	8	/* vCPU threads share 2 cores: runs may miss */
#define ATOMIC_FLAG0	10
#define ATOMIC_BARRIER0	16

enum atomic_run { RUN_USER, RUN_KERNEL, RUN_PLAIN, RUN_MAX };

/* One run of ATOMIC_COUNT increments by this host; returns its retries. */
static long long atomic_body(enum atomic_run run)
{
	struct atomics_area *a = (struct atomics_area *)pc.data;
	long long lost = 0;
	unsigned int i;

	switch (run) {
	case RUN_USER:
		for (i = 0; i < ATOMIC_COUNT; i++) {
			uint64_t old = __atomic_load_n(&a->cas, __ATOMIC_RELAXED);

			__atomic_fetch_add(&a->xadd, 1, __ATOMIC_SEQ_CST);
			while (!__atomic_compare_exchange_n(&a->cas, &old, old + 1, 0,
							    __ATOMIC_SEQ_CST,
							    __ATOMIC_RELAXED))
				lost++;
		}
		return lost;
	case RUN_KERNEL:
		return kernel_stress(&a->kernel, ATOMIC_COUNT, 0);
	default:
		return kernel_stress(&a->plain, ATOMIC_COUNT, 1);
	}
}

/*
 * Repeat a run on all hosts at once until two hosts collided (some host
 * retried), at most ATOMIC_ROUNDS times. Returns the rounds run, with the
 * retries of all hosts in *@retries, or -errno of this host's failure.
 */
static int contended(enum atomic_run run, uint64_t *retries)
{
	struct atomics_area *a = (struct atomics_area *)pc.data;
	unsigned int r, h, slot;
	int err = 0;

	for (r = 0; r < ATOMIC_ROUNDS; r++) {
		long long n;

		slot = run * ATOMIC_ROUNDS + r;
		spin_start(ATOMIC_FLAG0 + slot);
		n = atomic_body(run);
		if (n < 0)
			err = (int)n;
		__atomic_store_n(&a->retries[slot][me], n > 0 ? n : 0, __ATOMIC_RELEASE);
		barrier(ATOMIC_BARRIER0 + slot, nhosts);
		*retries = 0;
		for (h = 0; h < nhosts; h++)
			*retries += __atomic_load_n(&a->retries[slot][h], __ATOMIC_ACQUIRE);
		if (err || *retries || nhosts == 1)
			break;
	}
	return err ? err : (int)(r + (r < ATOMIC_ROUNDS));
}

static void cross_host_atomics(void)
{
	struct atomics_area *a = (struct atomics_area *)pc.data;
	uint64_t retries, total;
	unsigned int i;
	int rounds;

	if (me == 0) {
		memset(a, 0, sizeof(*a));
		for (i = 0; i < RUN_MAX * ATOMIC_ROUNDS; i++)
			__atomic_store_n(&pc.ctl->flag[ATOMIC_FLAG0 + i], 0, __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	barrier(5, nhosts);

	rounds = contended(RUN_USER, &retries);
	total = (uint64_t)nhosts * ATOMIC_COUNT * (rounds > 0 ? rounds : 0);
	tap_ok(__atomic_load_n(&a->xadd, __ATOMIC_ACQUIRE) == total,
	       "user lock xadd from %u hosts: %llu of %llu increments", nhosts,
	       (unsigned long long)a->xadd, (unsigned long long)total);
	tap_ok(rounds > 0 && a->cas == total && (nhosts == 1 || retries),
	       "user lock cmpxchg from %u hosts: %llu of %llu increments, the hosts collided %llu times (round %d)",
	       nhosts, (unsigned long long)a->cas, (unsigned long long)total,
	       (unsigned long long)retries, rounds);

	rounds = contended(RUN_KERNEL, &retries);
	total = (uint64_t)nhosts * ATOMIC_COUNT * (rounds > 0 ? rounds : 0);
	tap_ok(rounds > 0 && a->kernel == total && (nhosts == 1 || retries),
	       "kernel pool_cmpxchg from %u hosts: %llu of %llu increments, the hosts collided %llu times (round %d%s%s)",
	       nhosts, (unsigned long long)a->kernel, (unsigned long long)total,
	       (unsigned long long)retries, rounds, rounds < 0 ? ": " : "",
	       rounds < 0 ? strerror(-rounds) : "");

	rounds = contended(RUN_PLAIN, &retries);
	total = (uint64_t)nhosts * ATOMIC_COUNT * (rounds > 0 ? rounds : 0);
	tap_diag("kernel cmpxchg() from %u hosts (its LOCK is patched away when a host boots with one CPU): %llu of %llu increments, %llu collisions",
		 nhosts, (unsigned long long)__atomic_load_n(&a->plain, __ATOMIC_ACQUIRE),
		 (unsigned long long)total, (unsigned long long)retries);
	barrier(6, nhosts);
}

static int job_basic(void)
{
	int err;

	if (!online())
		return tap_end();
	err = pool_wait_alive(&pc, all_hosts(), 60000);
	tap_ok(!err, "all %u hosts alive in the registry (mask %#x)", nhosts,
	       pc.info.hosts_alive);
	barrier(0, nhosts);
	shared_bytes();
	if (nhosts > 1)
		round_trips();
	barrier(4, nhosts);
	cross_host_atomics();
	return tap_end();
}

static int job_late(void)
{
	unsigned int done = 0, h;
	int err;

	if (!online())
		return tap_end();
	if (me == 2) {
		/* The others have been up for a while: visible at once. */
		tap_ok((pc.info.hosts_alive & 3) == 3,
		       "late host sees hosts 0 and 1 alive at once (mask %#x)",
		       pc.info.hosts_alive);
		for (h = 0; h < 2; h++) {
			err = pool_ping(&pc, h, 100, 0, 2000, NULL, &done);
			tap_ok(!err && done == 100, "100 round trips to host %u (%s)",
			       h, strerror(-err));
		}
	} else {
		err = pool_wait_alive(&pc, 3, 60000);
		tap_ok(!err, "hosts 0 and 1 alive");
		tap_ok(!(pc.info.hosts_alive & 4), "host 2 not there yet (mask %#x)",
		       pc.info.hosts_alive);
		err = pool_wait_alive(&pc, 7, 120000);
		tap_ok(!err, "host 2 joined late and is seen (mask %#x)",
		       pc.info.hosts_alive);
		err = pool_ping(&pc, 2, 100, 0, 2000, NULL, &done);
		tap_ok(!err && done == 100, "100 round trips to the late host (%s)",
		       strerror(-err));
	}
	barrier(1, 3);
	return tap_end();
}

static int wait_flag(unsigned int i, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (!__atomic_load_n(&pc.ctl->flag[i], __ATOMIC_ACQUIRE))
		if (now_ns() > end)
			return -ETIMEDOUT;
	return 0;
}

/* Time until host h is no longer alive, or -1 past the bound. */
static long long notice_ms(unsigned int h, uint64_t t0, unsigned int bound_ms)
{
	for (;;) {
		uint64_t t = now_ns();

		pool_refresh(&pc);
		if (!(pc.info.hosts_alive & (1u << h)))
			return (long long)((t - t0) / 1000000);
		if (t - t0 > (uint64_t)bound_ms * 1000000ull)
			return -1;
		sleep_ms(5);
	}
}

static int host_state(unsigned int h, char *state, size_t len)
{
	char line[128];
	FILE *f = fopen("/sys/kernel/debug/morsel/hosts", "r");
	unsigned int id;
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %31s", &id, state) == 2 && id == h) {
			found = 1;
			break;
		}
	fclose(f);
	(void)len;
	return found;
}

/* Exit code 3 asks init to power off at once, without its dmesg dump. */
static int job_failure(void)
{
	unsigned int bound = 0, done = 0;
	char state[32] = "";
	long long t;
	uint64_t t0;
	int err, fd;

	if (!online())
		return tap_end();
	tap_step(!pool_wait_alive(&pc, 7, 60000), "hosts 0, 1, 2 alive");
	barrier(0, 3);
	switch (me) {
	case 1:
		tap_diag("crashing this host now");
		tap_end();
		__atomic_store_n(&pc.ctl->flag[1], 1, __ATOMIC_RELEASE);
		sleep_ms(50);
		fd = open("/proc/sysrq-trigger", O_WRONLY);
		if (fd >= 0 && write(fd, "c", 1) == 1)
			sleep_ms(10000);
		tap_ok(0, "crash via sysrq (fd %d, %s)", fd, strerror(errno));
		return tap_end();
	case 2:
		wait_flag(1, 60000);
		sleep_ms(3000);
		tap_diag("powering off this host now");
		__atomic_store_n(&pc.ctl->flag[2], 1, __ATOMIC_RELEASE);
		tap_end();
		return 3;
	}
	bound = pc.info.lease_ms + 3000;
	tap_ok(!wait_flag(1, 60000), "host 1 announced its crash");
	t0 = now_ns();
	/* A request to a dying host returns within the bound: no hang. */
	err = pool_ping(&pc, 1, 1000000, 0, 500, NULL, &done);
	t = (long long)((now_ns() - t0) / 1000000);
	tap_ok((err == -ETIMEDOUT || err == -EHOSTDOWN) && t <= bound,
	       "requests to the crashed host fail (%s) after %lld ms, bound %u ms",
	       strerror(-err), t, bound);
	t = notice_ms(1, t0, bound);
	tap_ok(t >= 0, "crashed host 1 declared dead after %lld ms (lease %u ms, bound %u ms)",
	       t, pc.info.lease_ms, bound);
	tap_ok(host_state(1, state, sizeof(state)) && !strcmp(state, "dead"),
	       "registry says host 1 is dead (got '%s')", state);
	err = pool_ping(&pc, 1, 1, 0, 0, NULL, &done);
	tap_ok(err == -EHOSTDOWN, "a new request to the dead host fails at once with EHOSTDOWN (%s)",
	       strerror(-err));
	tap_ok(!wait_flag(2, 60000), "host 2 announced its power-off");
	t0 = now_ns();
	t = notice_ms(2, t0, 10000);
	tap_ok(t >= 0, "powered-off host 2 noticed after %lld ms (bound 10000 ms)", t);
	tap_ok(host_state(2, state, sizeof(state)) && !strcmp(state, "left"),
	       "registry says host 2 left cleanly (got '%s')", state);
	tap_ok(pool_refresh(&pc) == 0 && pc.info.hosts_alive == 1,
	       "this host is the only one alive and still online (mask %#x)",
	       pc.info.hosts_alive);
	return tap_end();
}

static int grep_file(const char *path, const char *needle)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static int job_refused(void)
{
	char state[32] = "", error[256] = "", expect[64] = "";
	struct morsel_pool_info info;
	int fd, ret;

	cmdline_str("mexpect", expect, sizeof(expect));
	for (char *c = expect; *c; c++)
		if (*c == '_')
			*c = ' ';
	sysfs_str("/sys/kernel/morsel/pool/state", state, sizeof(state));
	sysfs_str("/sys/kernel/morsel/pool/error", error, sizeof(error));
	tap_ok(!strcmp(state, "refused"), "pool state is refused (got '%s')", state);
	tap_ok(expect[0] && strstr(error, expect) != NULL,
	       "reason names the problem: '%s' (expected '%s')", error, expect);
	system("dmesg > /tmp/dmesg");
	tap_ok(grep_file("/tmp/dmesg", "morsel: pool refused: ") &&
	       grep_file("/tmp/dmesg", expect),
	       "the kernel log says why the pool was refused");
	fd = open(MORSEL_DEV_PATH, O_RDWR);
	ret = fd < 0 ? -errno : ioctl(fd, MORSEL_IOC_POOL_INFO, &info) ? -errno : 0;
	tap_ok(ret == -ENODEV, "POOL_INFO on a refused pool fails with ENODEV (%s)",
	       strerror(-ret));
	ret = fd < 0 ? -errno :
	      mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -errno : 0;
	tap_ok(ret == -ENODEV, "mmap of a refused pool fails with ENODEV (%s)",
	       strerror(-ret));
	return tap_end();
}

static int ping_errno(struct morsel_ping req)
{
	return ioctl(pc.fd, MORSEL_IOC_PING, &req) ? errno : 0;
}

/* The data region as plain memory (the baseline of benchmarks): read-only, bounded. */
static void data_region(void)
{
	size_t data = pc.info.pool_size - pc.info.data_offset, len = 4ul << 20;
	volatile unsigned char *m;
	int ret;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, pc.fd, (off_t)MORSEL_MMAP_DATA);
	ret = m == MAP_FAILED ? errno : 0;
	tap_ok(ret == EPERM, "writable mmap of the data region: EPERM (%s)", strerror(ret));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, pc.fd, (off_t)(MORSEL_MMAP_DATA + data));
	ret = m == MAP_FAILED ? errno : 0;
	tap_ok(ret == EINVAL, "mmap beyond the data region: EINVAL (%s)", strerror(ret));
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, pc.fd, (off_t)MORSEL_MMAP_DATA);
	if (!tap_step(m != MAP_FAILED, "map 4 MiB of the data region read-only"))
		return;
	tap_ok(!((uintptr_t)m % (2ul << 20)) && (m[0] | m[len - 1] | 1) &&
		       mprotect((void *)m, len, PROT_READ | PROT_WRITE) && errno == EACCES,
	       "it is 2 MiB-aligned, reads, and mprotect cannot make it writable");
	munmap((void *)m, len);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, pc.fd, (off_t)MORSEL_MMAP_DATA_PAGES);
	tap_ok(m != MAP_FAILED && (m[4096] | 1), "and by 4 KiB pages (MORSEL_MMAP_DATA_PAGES)");
	if (m != MAP_FAILED)
		munmap((void *)m, len);
}

static int job_ioctl(void)
{
	uint64_t rtt[4];
	unsigned int other;
	void *m;
	int ret;

	if (!online())
		return tap_end();
	other = (me + 1) % nhosts;
	tap_step(!pool_wait_alive(&pc, all_hosts(), 60000),
		 "all %u hosts alive", nhosts);
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = 0 }) == EINVAL,
	       "PING count 0: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = MORSEL_PING_MAX + 1 }) == EINVAL,
	       "PING count too large: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = 1, .flags = 1u << 7 }) == EINVAL,
	       "PING unknown flag: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = MORSEL_MAX_HOSTS, .count = 1 }) == EINVAL,
	       "PING host id out of range: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = me, .count = 1 }) == EINVAL,
	       "PING to itself: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = 9, .count = 1 }) == EHOSTDOWN,
	       "PING to a host that never joined: EHOSTDOWN");
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = 1, .reserved = 1 }) == EINVAL,
	       "PING reserved field set: EINVAL");
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = 4,
						 .rtt_ns = 0x10 }) == EFAULT,
	       "PING bad result pointer: EFAULT");
	tap_ok(ping_errno((struct morsel_ping){ .dst = other, .count = 4,
						 .rtt_ns = (uintptr_t)rtt }) == 0,
	       "PING 4 round trips into a good buffer");
	tap_ok(ioctl(pc.fd, _IO(MORSEL_IOC_MAGIC, 0x7f)) < 0 && errno == ENOTTY,
	       "unknown ioctl: ENOTTY");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_POOL_INFO, (void *)0x10) < 0 && errno == EFAULT,
	       "POOL_INFO bad pointer: EFAULT");
	m = mmap(NULL, pc.info.scratch_size + 4096, PROT_READ, MAP_SHARED, pc.fd, 0);
	ret = m == MAP_FAILED ? errno : 0;
	tap_ok(ret == EINVAL, "mmap beyond the scratch area: EINVAL");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, pc.fd, 0);
	ret = m == MAP_FAILED ? errno : 0;
	tap_ok(ret == EINVAL, "private mmap: EINVAL");
	data_region();
	barrier(0, nhosts);
	return tap_end();
}

static int count_in_file(const char *path, const char *needle)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static int job_trace(void)
{
	const char *tr = "/sys/kernel/tracing/trace";
	unsigned int done = 0;
	int err, n;

	if (!online())
		return tap_end();
	tap_step(!pool_wait_alive(&pc, all_hosts(), 60000),
		 "all %u hosts alive", nhosts);
	tap_step(!sysfs_write("/sys/kernel/tracing/events/morsel/enable", "1"),
		 "enable the morsel:* events in tracefs");
	sysfs_write(tr, "");
	if (me == 0)	/* perf follows the transfer below from the taker */
		system("perf record -q -e 'morsel:*' -a -o /tmp/perf.data -- sleep 6 "
		       ">/tmp/perf.log 2>&1 &");
	sleep_ms(1500);
	barrier(0, nhosts);
	if (me == 0) {
		err = pool_ping(&pc, 1, 20, 0, 2000, NULL, &done);
		tap_ok(!err && done == 20, "20 round trips to host 1 (%s)", strerror(-err));
	}
	/* One ownership transfer of one page: host 1 owns it, host 0 takes it. */
	if (me <= 1) {
		struct morsel_create c = { .name = "traced", .size = 4096 };
		struct morsel_open o = { .name = "traced" };
		volatile char *m = MAP_FAILED;
		int fd = -1;

		if (me == 1)
			fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
		barrier(5, 2);
		if (me == 0)
			fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
		if (fd >= 0)
			m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (me == 1 && m != MAP_FAILED)
			m[0] = 1;
		barrier(6, 2);
		if (me == 0 && m != MAP_FAILED)
			m[0] = 2;
		tap_step(m != MAP_FAILED, "map a traced object");
	}
	barrier(1, nhosts);
	sysfs_write("/sys/kernel/tracing/events/morsel/enable", "0");
	if (me == 0) {
		n = count_in_file(tr, "morsel_msg_send:");
		tap_ok(n >= 20, "morsel_msg_send fired for each request (%d)", n);
		n = count_in_file(tr, "morsel_msg_ack:");
		tap_ok(n >= 20, "morsel_msg_ack fired for each answer (%d)", n);
		n = count_in_file(tr, "morsel_doorbell_irq:");
		tap_ok(n >= 1, "morsel_doorbell_irq fired (%d)", n);
		n = count_in_file(tr, "morsel_fault:");
		tap_ok(n >= 1, "morsel_fault fired for the write (%d)", n);
		n = count_in_file(tr, "morsel_recall_send:");
		tap_ok(n >= 1, "morsel_recall_send fired for the transfer (%d)", n);
		n = count_in_file(tr, "morsel_acquire:");
		tap_ok(n >= 1, "morsel_acquire fired for the transfer (%d)", n);
		/* perf record ends by itself; then perf script decodes it. */
		sleep_ms(6000);
		system("perf script -i /tmp/perf.data > /tmp/perf.txt 2>>/tmp/perf.log");
		n = count_in_file("/tmp/perf.txt", "morsel:morsel_fault:");
		tap_ok(n >= 1, "perf record -e 'morsel:*' saw the fault (%d)", n);
		n = count_in_file("/tmp/perf.txt", "morsel:morsel_recall_send:");
		tap_ok(n >= 1, "perf record -e 'morsel:*' saw the recall (%d)", n);
		if (n < 1)
			system("cat /tmp/perf.log");
	} else if (me == 1) {
		n = count_in_file(tr, "morsel_msg_handle:");
		tap_ok(n >= 20, "morsel_msg_handle fired on the receiver (%d)", n);
		n = count_in_file(tr, "morsel_recall_handle:");
		tap_ok(n >= 1, "morsel_recall_handle fired on the owner (%d)", n);
		n = count_in_file(tr, "morsel_writeback:");
		tap_ok(n >= 1, "morsel_writeback fired on the owner (%d)", n);
		n = count_in_file(tr, "morsel_shootdown:");
		tap_ok(n >= 1, "morsel_shootdown fired on the owner (%d)", n);
		n = count_in_file(tr, "morsel_release:");
		tap_ok(n >= 1, "morsel_release fired on the owner (%d)", n);
	}
	system("/bin/bpftool btf dump file /sys/kernel/btf/vmlinux format raw > /tmp/btf 2>&1");
	n = count_in_file("/tmp/btf", "STRUCT 'morsel_sb'");
	tap_ok(n == 1, "bpftool reads the kernel's BTF, which has struct morsel_sb (%d)", n);
	barrier(2, nhosts);
	return tap_end();
}

int main(int argc, char **argv)
{
	const char *job = argc > 1 ? argv[1] : "basic";

	setvbuf(stdout, NULL, _IOLBF, 0);
	nhosts = (unsigned int)cmdline_int("mhosts", 1);
	tap_start("");
	if (!strcmp(job, "basic"))
		return job_basic();
	if (!strcmp(job, "late"))
		return job_late();
	if (!strcmp(job, "failure"))
		return job_failure();
	if (!strcmp(job, "refused"))
		return job_refused();
	if (!strcmp(job, "ioctl"))
		return job_ioctl();
	if (!strcmp(job, "trace"))
		return job_trace();
	fprintf(stderr, "pool_test: unknown job %s\n", job);
	return 2;
}
