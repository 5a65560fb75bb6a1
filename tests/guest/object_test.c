// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest TAP tests of shared objects, run by every host of a run, each
 * acting by its host id; identical in normal and stale-cache mode (the
 * launcher adds morsel.stale_cache=1). Jobs:
 *
 *   objects   N hosts: own pages / others' pages, ping-pong counter,
 *             readers revoked at once (3+ hosts), random stress with
 *             version stamps and the MRSW invariant
 *   objerr    bad input to every object ioctl gets its errno
 *   objfail   punch and delete while another host maps; a host that
 *             crashes holding pages exclusively
 *   objdetect with morsel.debug_skip_writeback=1 in stale-cache mode: the
 *             missing write-back must show up as stale data
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "guest_job.h"
#include "object_client.h"
#include "pool_client.h"
#include "tap.h"

#define PAGE 4096ul
#define BARRIER_MS 120000

static struct pool_client pc;
static unsigned int me, nhosts, bar;
static int stale;

/* A barrier is a step, not a result: "# barrier ..." or "not ok ...". */
static void barrier_ms(unsigned int ms)
{
	tap_step(!pool_barrier(&pc, bar, nhosts, ms), "barrier %u: %u hosts", bar, nhosts);
	bar++;
}

static void barrier(void)
{
	barrier_ms(BARRIER_MS);
}

/* Host 0 creates, the others open after a barrier: a set-up step. */
static int shared_object(const char *name, uint64_t size)
{
	int fd = -1;

	if (me == 0)
		fd = obj_create(&pc, name, size);
	barrier();
	if (me != 0)
		fd = obj_open(&pc, name);
	tap_step(fd >= 0, "%s object '%s' of %lu KiB (%s)",
		 me ? "open" : "create", name, (unsigned long)(size >> 10),
		 fd < 0 ? strerror(errno) : "ok");
	return fd;
}

static void *map(int fd, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static int stat_errno(int fd, struct morsel_obj_stat *st)
{
	return ioctl(fd, MORSEL_OBJ_STAT, st) ? -errno : 0;
}

static uint8_t pat(unsigned int host, size_t i)
{
	return (uint8_t)((host + 1) * 37 + i * 13 + (i >> 12));
}

/* Each host fills its own pages, then checks everybody's. */
static void own_and_others(void)
{
	const size_t per = 8 * PAGE, size = per * nhosts;
	size_t i, bad = 0;
	unsigned char *m;
	int fd = shared_object("pages", size);

	m = fd >= 0 ? map(fd, size) : NULL;
	if (!tap_step(m != NULL, "map the object"))
		return;
	for (i = 0; i < per; i++)
		m[me * per + i] = pat(me, i);
	barrier();
	for (i = 0; i < size; i++)
		bad += m[i] != pat((unsigned int)(i / per), i % per);
	tap_ok(!bad, "reads every host's 8 pages back: %zu bad bytes of %zu", bad, size);
	barrier();
	munmap(m, size);
	close(fd);
}

/* Two hosts take turns incrementing one counter. */
static void ping_pong(void)
{
	const uint64_t total = 10000;
	volatile uint64_t *ctr;
	uint64_t mine = 0, v, t0, last_v = ~0ull, since = 0;
	int fd = -1, late = 0, said = 0;

	if (me > 1) {
		/* Hosts 0 and 1 may take up to their limit below (debug kernels). */
		barrier();
		barrier();
		barrier_ms(660000);
		return;
	}
	fd = me == 0 ? obj_create(&pc, "pingpong", PAGE) : -1;
	barrier();
	if (me == 1)
		fd = obj_open(&pc, "pingpong");
	ctr = fd >= 0 ? map(fd, PAGE) : NULL;
	barrier();
	if (!tap_step(ctr != NULL, "ping-pong object mapped"))
		goto out;
	t0 = now_ns();
	for (;;) {
		v = *ctr;
		if (v >= total)
			break;
		if (v % 2 == me) {
			*ctr = v + 1;
			mine++;
		} else if (now_ns() - t0 > 600000000000ull) {
			late = 1;
			break;
		} else if (v == last_v && now_ns() - since > 20000000000ull && !said) {
			uint64_t e = 0;
			struct morsel_entries req = { .first = 0, .count = 1,
						      .entries = (uintptr_t)&e };

			/* A stall is a protocol bug: say what this host sees. */
			uint64_t pm = 0;
			int pf = open("/proc/self/pagemap", O_RDONLY);

			ioctl(fd, MORSEL_OBJ_ENTRIES, &req);
			if (pf >= 0) {
				pread(pf, &pm, 8, (off_t)((uintptr_t)ctr / PAGE * 8));
				close(pf);
			}
			tap_diag("ping-pong stalled 20 s at %lu: entry state %u owner %u readers %#x seq %u; pagemap %#llx",
				 (unsigned long)v, MORSEL_PTE_STATE(e), MORSEL_PTE_OWNER(e),
				 MORSEL_PTE_READERS(e), MORSEL_PTE_SEQ(e), (unsigned long long)pm);
			said = 1;
		} else {
			if (v != last_v) {
				last_v = v;
				since = now_ns();
			}
			sched_yield();
		}
	}
	tap_ok(!late && *ctr == total && mine == total / 2,
	       "ping-pong: counter %lu after %lu increments of mine (expected %lu, %lu)",
	       (unsigned long)*ctr, (unsigned long)mine, (unsigned long)total,
	       (unsigned long)total / 2);
	tap_diag("ping-pong: %lu ms for %lu transfers",
		 (unsigned long)((now_ns() - t0) / 1000000), (unsigned long)total);
	munmap((void *)ctr, PAGE);
out:
	barrier();
	if (fd >= 0)
		close(fd);
}

#define MIN_HOLD "/sys/module/morsel/parameters/min_hold_us"

/*
 * The minimum hold: host 1 keeps reading a page while host 0 writes it.
 * Host 1's read fault recalls the page a moment after host 0's write fault
 * took it: with a hold that recall is parked (exactly one, counted by host
 * 0), without one it is not; host 1 reads what host 0 wrote either way.
 */
static void held_page(void)
{
	static const char *const hold_us[] = { "200000", "0" };
	struct morsel_obj_stat a = {}, b = {};
	volatile uint64_t *v = NULL;
	uint64_t t0, seen, want;
	unsigned int k;
	int fd = -1;

	if (me == 0)
		fd = obj_create(&pc, "held", PAGE);
	barrier();
	if (me == 1)
		fd = obj_open(&pc, "held");
	if (me <= 1) {
		v = fd >= 0 ? map(fd, PAGE) : NULL;
		tap_step(v != NULL, "hold: object mapped");
	}
	for (k = 0; k < 2; k++) {
		want = k + 1;
		if (me == 0 && v)
			tap_step(!sysfs_write(MIN_HOLD, hold_us[k]), "hold: morsel.min_hold_us=%s",
				 hold_us[k]);
		else if (me == 1 && v)
			seen = v[0];	/* a read copy, before host 0 writes */
		barrier();
		if (me == 0 && v) {
			stat_errno(fd, &a);
			/*
			 * Host 1 is reading by now. With the hold on, wait out a
			 * lease period too: the recall deferrals a host may impose
			 * per period (which the hold shares with a policy's) may
			 * have been spent by the ping-pong before, under a
			 * deferring policy.
			 */
			usleep(k == 0 ? (pc.info.lease_ms + 100) * 1000 : 100000);
			v[0] = want;
			barrier();
			stat_errno(fd, &b);
			tap_ok(b.held - a.held == (k == 0),
			       "hold %s us: host 1's recall of the page just written was %sparked (%llu held)",
			       hold_us[k], k == 0 ? "" : "not ",
			       (unsigned long long)(b.held - a.held));
		} else if (me == 1 && v) {
			t0 = now_ns();
			while ((seen = v[0]) != want && now_ns() - t0 < 60000000000ull)
				;
			tap_ok(seen == want, "hold %s us: host 1 reads host 0's write (%llu)",
			       hold_us[k], (unsigned long long)seen);
			barrier();
		} else {
			barrier();
		}
	}
	if (me == 0)
		sysfs_write(MIN_HOLD, "100");
	if (v)
		munmap((void *)v, PAGE);
	barrier();
	if (fd >= 0)
		close(fd);
}

#define TRACING "/sys/kernel/tracing/"

/*
 * A write to a page that every other host reads revokes all of them: the
 * recalls must all be sent before the first answer is awaited, so that the
 * readers drop their copies at the same time (the fault waits for the
 * slowest, not the sum). Checked in the order of host 0's trace.
 */
static void readers_at_once(void)
{
	unsigned int all = (1u << nhosts) - 1, sent = 0, acked_before = 0;
	uint64_t e = 0;
	struct morsel_entries req = { .first = 0, .count = 1, .entries = (uintptr_t)&e };
	volatile unsigned char *m;
	char line[512];
	int fd = shared_object("readers", PAGE);
	FILE *f;

	m = fd >= 0 ? map(fd, PAGE) : NULL;
	if (me == 0 && m)
		m[0] = 1;
	barrier();
	tap_ok(m && m[0] == 1, "readers: host 0's value read");
	barrier();
	if (me == 0 && m) {
		ioctl(fd, MORSEL_OBJ_ENTRIES, &req);
		tap_ok(MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED && MORSEL_PTE_READERS(e) == all,
		       "readers: all %u hosts read the page (state %u readers %#x)", nhosts,
		       MORSEL_PTE_STATE(e), MORSEL_PTE_READERS(e));
		sysfs_write(TRACING "trace", "");
		sysfs_write(TRACING "events/morsel/morsel_recall_send/enable", "1");
		sysfs_write(TRACING "events/morsel/morsel_msg_ack/enable", "1");
		m[0] = 2;
		sysfs_write(TRACING "events/morsel/morsel_recall_send/enable", "0");
		sysfs_write(TRACING "events/morsel/morsel_msg_ack/enable", "0");
		f = fopen(TRACING "trace", "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (strstr(line, "morsel_recall_send:") && strstr(line, "mode 2"))
				sent++;
			else if (strstr(line, "morsel_msg_ack:") && strstr(line, "type 3") &&
				 sent < nhosts - 1)
				acked_before++;
		}
		if (f)
			fclose(f);
		tap_ok(sent == nhosts - 1 && !acked_before,
		       "readers: %u reader recalls sent before the first answer (%u answers came earlier)",
		       sent, acked_before);
	}
	barrier();
	tap_ok(m && m[0] == 2, "readers: host 0's new value read after the revocation");
	barrier();
	if (m)
		munmap((void *)m, PAGE);
	if (fd >= 0)
		close(fd);
}

struct stamp_page {
	uint64_t version;		/* incremented atomically by writers */
	uint64_t last_writer;
	uint64_t stamp[MORSEL_MAX_HOSTS];	/* per-host write count */
};

static int check_entries(int fd, uint64_t pages, uint64_t *bad_out)
{
	uint64_t e[256], i, bad = 0;
	struct morsel_entries req = { .first = 0, .count = pages,
				      .entries = (uintptr_t)e };

	if (ioctl(fd, MORSEL_OBJ_ENTRIES, &req))
		return -errno;
	for (i = 0; i < pages; i++) {
		uint32_t st = MORSEL_PTE_STATE(e[i]), r = MORSEL_PTE_READERS(e[i]);

		if ((st == MORSEL_PTE_EXCLUSIVE && r) ||
		    (st == MORSEL_PTE_BUSY && (r & (1u << MORSEL_PTE_OWNER(e[i])))) ||
		    (st != MORSEL_PTE_NONE && !MORSEL_PTE_FRAME1(e[i])) ||
		    (st == MORSEL_PTE_NONE && (r || MORSEL_PTE_FRAME1(e[i]))))
			bad++;
	}
	*bad_out += bad;
	return 0;
}

/* Random reads and writes over shared pages, checked by version stamps. */
static void stress(void)
{
	const uint64_t pages = 32, ops = 3000;
	volatile uint64_t *writes = (volatile uint64_t *)pc.ctl->flag;
	uint64_t seen[32] = { 0 }, mywrites[32] = { 0 }, stale_reads = 0;
	uint64_t i, lost = 0, bad_entries = 0, checks = 0, seed = 0x9e3779b9u * (me + 1);
	struct stamp_page *m;
	int fd = shared_object("stress", pages * PAGE);

	m = fd >= 0 ? map(fd, pages * PAGE) : NULL;
	if (!tap_step(m != NULL, "stress object mapped"))
		return;
	barrier();
	for (i = 0; i < ops; i++) {
		uint64_t p, v;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p = (seed >> 33) % pages;
		if ((seed >> 20) % 3 == 0) {
			v = __atomic_fetch_add(&m[p * (PAGE / sizeof(*m))].version, 1,
					       __ATOMIC_SEQ_CST) + 1;
			m[p * (PAGE / sizeof(*m))].last_writer = me;
			m[p * (PAGE / sizeof(*m))].stamp[me] = ++mywrites[p];
		} else {
			v = m[p * (PAGE / sizeof(*m))].version;
			/* Our own last write, or anything we saw, never goes back. */
			if (m[p * (PAGE / sizeof(*m))].stamp[me] < mywrites[p])
				stale_reads++;
		}
		if (v < seen[p])
			stale_reads++;
		seen[p] = v;
		if (me == 0 && i % 100 == 0) {
			check_entries(fd, pages, &bad_entries);
			checks++;
		}
	}
	tap_ok(!stale_reads, "stress: %lu operations on %lu pages, %lu stale reads",
	       (unsigned long)ops, (unsigned long)pages, (unsigned long)stale_reads);
	if (me == 0)
		tap_ok(!bad_entries, "MRSW invariant held in %lu scans of the pool's table during the stress (%lu bad)",
		       (unsigned long)checks, (unsigned long)bad_entries);
	/* Publish how often we wrote each page; host 0 adds them up. */
	for (i = 0; i < pages; i++)
		__atomic_fetch_add(&writes[i], mywrites[i], __ATOMIC_SEQ_CST);
	barrier();
	if (me == 0) {
		for (i = 0; i < pages; i++)
			lost += m[i * (PAGE / sizeof(*m))].version != writes[i];
		tap_ok(!lost, "stress: every page's version equals the writes of all hosts (%lu pages off)",
		       (unsigned long)lost);
		check_entries(fd, pages, &bad_entries);
		tap_ok(!bad_entries, "MRSW invariant holds at the end");
	}
	barrier();
	munmap(m, pages * PAGE);
	close(fd);
}

/*
 * A plain object (no protocol: the upper bound of the evaluation): after
 * its first touch every host maps the pool's frames writable and keeps
 * them. Every host writes its own word of each page at once and reads
 * the others' back; the second pass must fault, transfer and recall
 * nothing, every entry stays shared by every host, and write() and
 * read() see what the mappings wrote.
 */
static void plain_object(void)
{
	const size_t pages = 4, size = pages * PAGE, words = PAGE / 8;
	struct morsel_obj_stat a, b;
	uint32_t saved = obj_create_flags;
	uint64_t e, v, all = (1u << nhosts) - 1;
	volatile uint64_t *m;
	size_t p, bad = 0, shared = 0;
	unsigned int h, pass;
	int fd;

	obj_create_flags = MORSEL_CREATE_PLAIN;
	fd = shared_object("plain", size);
	obj_create_flags = saved;
	m = fd >= 0 ? map(fd, size) : NULL;
	if (!tap_step(m != NULL, "map the plain object"))
		return;
	memset(&a, 0, sizeof(a));
	for (pass = 1; pass <= 2; pass++) {
		for (p = 0; p < pages; p++)
			m[p * words + me * 8] = (uint64_t)pass << 32 | (me + 1) << 8 | p;
		barrier();
		for (p = 0; p < pages; p++)
			for (h = 0; h < nhosts; h++)
				bad += m[p * words + h * 8] != ((uint64_t)pass << 32 | (h + 1) << 8 | p);
		if (pass == 1)
			stat_errno(fd, &a);
		barrier();
	}
	stat_errno(fd, &b);
	tap_ok(!bad && b.coherence == MORSEL_COHERENCE_PLAIN,
	       "plain: every host's words read back in both passes (%zu bad), coherence %u", bad,
	       b.coherence);
	tap_ok(b.read_faults + b.write_faults == a.read_faults + a.write_faults &&
		       b.transfers == a.transfers && b.recalls_sent == a.recalls_sent,
	       "plain: the second pass faulted, transferred and recalled nothing (%llu, %llu, %llu)",
	       (unsigned long long)(b.read_faults + b.write_faults - a.read_faults - a.write_faults),
	       (unsigned long long)(b.transfers - a.transfers),
	       (unsigned long long)(b.recalls_sent - a.recalls_sent));
	for (p = 0; p < pages; p++) {
		e = obj_entry(fd, p);
		shared += MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED && MORSEL_PTE_READERS(e) == all;
	}
	tap_ok(shared == pages, "plain: %zu of %zu entries shared by every host", shared, pages);
	/* write() on the last host, read() and a load on the others. */
	v = 0x706c61696e000000ull | nhosts;
	if (me == nhosts - 1)
		tap_step(pwrite(fd, &v, 8, 3 * PAGE + 8 * 100) == 8, "pwrite a word");
	barrier();
	if (me != nhosts - 1) {
		uint64_t r = 0;
		ssize_t n = pread(fd, &r, 8, 3 * PAGE + 8 * 100);

		tap_ok(n == 8 && r == v && m[3 * words + 100] == v,
		       "plain: another host's write() is seen by read() and by a load (%#llx)",
		       (unsigned long long)r);
	}
	barrier();
	/* A punch still revokes: the other hosts' writable mappings go too. */
	if (me == 0) {
		struct morsel_punch pu = { .offset = 0, .len = PAGE };
		int err = ioctl(fd, MORSEL_OBJ_PUNCH, &pu) ? errno : 0;

		tap_step(!err, "punch page 0 (%s)", err ? strerror(err) : "ok");
	}
	barrier();
	for (bad = 0, p = 0; p < words; p++)
		bad += m[p] != 0;
	tap_ok(!bad && m[words + me * 8] == ((uint64_t)2 << 32 | (me + 1) << 8 | 1),
	       "plain: host 0's punch reads as zeros here (%zu words not), page 1 kept", bad);
	barrier();
	munmap((void *)m, size);
	close(fd);
	barrier();
	if (me == 0)
		tap_step(!obj_delete(&pc, "plain"), "delete the plain object");
}

static int job_objects(void)
{
	struct morsel_obj_stat st;
	long long tr;

	own_and_others();
	if (nhosts >= 2) {
		ping_pong();
		held_page();
		if (!obj_create_flags)
			plain_object();
	}
	if (nhosts >= 3)
		readers_at_once();
	tr = sysfs_num("/sys/kernel/morsel/ownership/transfers");
	stress();
	tap_diag("this host: %lld transfers, %lld recalls handled, %lld write-backs, %lld shootdowns",
		 sysfs_num("/sys/kernel/morsel/ownership/transfers"),
		 sysfs_num("/sys/kernel/morsel/ownership/recalls_handled"),
		 sysfs_num("/sys/kernel/morsel/ownership/writebacks"),
		 sysfs_num("/sys/kernel/morsel/ownership/shootdowns"));
	if (nhosts >= 2 && me <= 1)
		tap_ok(tr > 0, "ownership moved between hosts (%lld transfers so far)", tr);
	(void)st;
	return tap_end();
}

static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static int touch(volatile char *p, int write)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int faulted = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(jb, 1))
		faulted = 1;
	else if (write)
		*p = 1;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

static int job_objerr(void)
{
	struct morsel_create c;
	struct morsel_punch pu;
	struct morsel_obj_stat st;
	uint64_t size;
	char name[40];
	int fd, fd2, i, n, err;
	void *m;

	if (me != 0) {
		barrier();
		return tap_end();
	}
	memset(&c, 0, sizeof(c));
	c.size = PAGE;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: empty name: EINVAL");
	strcpy(c.name, "a/b");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: '/' in name: EINVAL");
	memset(c.name, 'x', sizeof(c.name));
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: unterminated name: EINVAL");
	strcpy(c.name, "e");
	c.size = 0;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: size 0: EINVAL");
	c.size = 1ull << 40;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EFBIG, "create: size too large: EFBIG");
	c.size = PAGE;
	c.flags = 1u << 7;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: unknown flags: EINVAL");
	c.flags = MORSEL_CREATE_PAGECOPY | MORSEL_CREATE_TWINDIFF;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL,
	       "create: two coherence modes: EINVAL");
	c.flags = MORSEL_CREATE_PLAIN | MORSEL_CREATE_PAGECOPY;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL,
	       "create: plain and page-copy: EINVAL");
	c.flags = 0;
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, (void *)8) < 0 && errno == EFAULT, "create: bad pointer: EFAULT");
	strcpy(c.name, "\xff");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: byte 0xff in the name: EINVAL");
	strcpy(c.name, "caf\xe9");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL,
	       "create: a Latin-1 letter (0xe9) in the name: EINVAL");
	strcpy(c.name, ".");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: name '.': EINVAL");
	strcpy(c.name, "..");
	tap_ok(ioctl(pc.fd, MORSEL_IOC_CREATE, &c) < 0 && errno == EINVAL, "create: name '..': EINVAL");
	tap_ok(obj_open(&pc, "..") < 0 && errno == EINVAL, "open: name '..': EINVAL");
	strcpy(c.name, "e");
	tap_ok(obj_open(&pc, "nosuch") < 0 && errno == ENOENT, "open: no such object: ENOENT");
	tap_ok(obj_delete(&pc, "nosuch") == -ENOENT, "delete: no such object: ENOENT");
	fd = obj_create(&pc, "e", 4 * PAGE);
	tap_ok(fd >= 0, "create 'e' of 4 pages");
	tap_ok(obj_create(&pc, "e", PAGE) < 0 && errno == EEXIST, "create: name taken: EEXIST");
	size = 0x1234;
	n = fd >= 0 ? (int)pwrite(fd, &size, sizeof(size), 2 * PAGE + 8) : -1;
	size = 0;
	n += fd >= 0 ? (int)pread(fd, &size, sizeof(size), 2 * PAGE + 8) : -1;
	tap_ok(n == 16 && size == 0x1234 && lseek(fd, 0, SEEK_END) == 4 * PAGE,
	       "pwrite, pread and lseek on an object's fd (%d bytes, %#lx)", n,
	       (unsigned long)size);
	tap_ok(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EINVAL,
	       "mmap: MAP_PRIVATE: EINVAL");
	m = map(fd, 8 * PAGE);
	tap_ok(m && touch((char *)m + 5 * PAGE, 0), "access beyond the object's size: SIGBUS");
	tap_ok(m && !touch((char *)m + 3 * PAGE, 1), "access within the object: fine");
	tap_ok(obj_delete(&pc, "e") == -EBUSY, "delete: still mapped: EBUSY");
	pu = (struct morsel_punch){ .offset = 1, .len = PAGE };
	tap_ok(ioctl(fd, MORSEL_OBJ_PUNCH, &pu) < 0 && errno == EINVAL, "punch: unaligned offset: EINVAL");
	pu = (struct morsel_punch){ .offset = 8 * PAGE, .len = PAGE };
	tap_ok(ioctl(fd, MORSEL_OBJ_PUNCH, &pu) < 0 && errno == EINVAL, "punch: offset out of range: EINVAL");
	pu = (struct morsel_punch){ .offset = 0, .len = 0 };
	tap_ok(ioctl(fd, MORSEL_OBJ_PUNCH, &pu) < 0 && errno == EINVAL, "punch: length 0: EINVAL");
	pu = (struct morsel_punch){ .offset = 0, .len = 16 * PAGE };
	tap_ok(ioctl(fd, MORSEL_OBJ_PUNCH, &pu) < 0 && errno == EINVAL, "punch: past the end: EINVAL");
	size = 0;
	tap_ok(ioctl(fd, MORSEL_OBJ_RESIZE, &size) < 0 && errno == EINVAL, "resize: 0: EINVAL");
	size = 1ull << 40;
	tap_ok(ioctl(fd, MORSEL_OBJ_RESIZE, &size) < 0 && errno == EFBIG, "resize: too large: EFBIG");
	tap_ok(ioctl(fd, _IO(MORSEL_IOC_MAGIC, 0x3f)) < 0 && errno == ENOTTY, "object fd: unknown ioctl: ENOTTY");
	size = 2 * PAGE;
	err = ioctl(fd, MORSEL_OBJ_RESIZE, &size);
	tap_ok(!err && !stat_errno(fd, &st) && st.size == 2 * PAGE && st.pages_present <= 2,
	       "resize to 2 pages drops the tail (size %lu, %lu pages present)",
	       (unsigned long)st.size, (unsigned long)st.pages_present);
	tap_ok(m && touch((char *)m + 3 * PAGE, 0), "the dropped tail now faults with SIGBUS");
	munmap(m, 8 * PAGE);
	/* Fill the directory: the 65th object does not fit. */
	for (i = 0, n = 0; i < 80; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		fd2 = obj_create(&pc, name, PAGE);
		if (fd2 < 0) {
			err = errno;
			break;
		}
		close(fd2);
		n++;
	}
	tap_ok(i < 80 && err == ENOSPC, "create: directory full after %d more objects: ENOSPC", n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		obj_delete(&pc, name);
	}
	tap_ok(obj_delete(&pc, "e") == 0, "delete once unmapped");
	tap_ok(stat_errno(fd, &st) == -ESTALE, "the deleted object's fd: ESTALE");
	tap_ok(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ESTALE,
	       "mmap of a deleted object: ESTALE");
	close(fd);
	barrier();
	return tap_end();
}

#define FILL_DELAY_PARAM "/sys/module/morsel/parameters/fill_delay_ms"

/* Authoritative entries @first.. of an object, or -errno. */
static int entries(int fd, uint64_t first, uint64_t count, uint64_t *e)
{
	struct morsel_entries req = { .first = first, .count = count, .entries = (uintptr_t)e };

	return ioctl(fd, MORSEL_OBJ_ENTRIES, &req) ? -errno : 0;
}

/*
 * Host 1 writes the first byte of an object through its fd, held up 3 s
 * between taking the page's frame and entering it (morsel.fill_delay_ms);
 * host 0 deletes the object meanwhile and creates one of the same name.
 * The frame must land in the deleted object's tables, kept while host 1
 * has it open: not in the new object's (page 0 stays untouched), not in
 * the hole every table-less chunk reads (page 1024 on), and poolcheck
 * finds every frame referenced once.
 */
static void delete_during_fill(void)
{
	uint64_t v = ~0ull, e[9] = { 0 };
	int fd, fd2 = -1, err = 0, i;
	ssize_t n = 0;

	fd = shared_object("gone", PAGE);
	if (me == 1) {
		tap_step(!sysfs_write(FILL_DELAY_PARAM, "3000"), "first touches held up 3 s");
		__atomic_store_n(&pc.ctl->flag[61], 1, __ATOMIC_RELEASE);
		n = pwrite(fd, &v, sizeof(v), 0);
		err = n < 0 ? errno : 0;
		sysfs_write(FILL_DELAY_PARAM, "0");
		tap_ok(n < 0 && err == ESTALE,
		       "a write whose first touch a delete overtook: ESTALE (%zd, %s)", n,
		       strerror(err));
	}
	if (me == 0) {
		for (i = 0; i < 60000 && !__atomic_load_n(&pc.ctl->flag[61], __ATOMIC_ACQUIRE); i++)
			sleep_ms(1);
		sleep_ms(500);
		tap_ok(obj_delete(&pc, "gone") == 0, "delete while host 1 takes a frame for it");
		fd2 = obj_create(&pc, "gone", PAGE);
		tap_ok(fd2 >= 0, "create an object of the same name at once");
	}
	barrier();
	if (me == 0) {
		err = fd2 >= 0 ? entries(fd2, 0, 1, e) : -EBADF;
		if (!err)
			err = entries(fd2, 1024, 8, e + 1);
		for (i = 0; !err && i < 9 && !e[i]; i++)
			;
		tap_ok(!err && i == 9,
		       "host 1's frame is in neither the new object nor the hole (%d: %#llx)", err,
		       i < 9 ? (unsigned long long)e[i] : 0ull);
		if (fd2 >= 0)
			close(fd2);
	}
	if (fd >= 0)
		close(fd);
	barrier();
	if (me == 0)
		tap_ok(obj_delete(&pc, "gone") == 0,
		       "once host 1 closed the deleted object, its new namesake is deleted too");
	barrier();
}

static int job_objfail(void)
{
	volatile uint64_t *m;
	struct morsel_obj_stat st;
	uint64_t t0, v;
	int fd, sfd, err;

	/* Punch while host 1 maps the page. */
	fd = shared_object("punch", 2 * PAGE);
	m = fd >= 0 ? map(fd, 2 * PAGE) : NULL;
	if (me == 0 && m)
		m[0] = 0xabcdef;
	barrier();
	if (me == 1)
		tap_ok(m && m[0] == 0xabcdef, "host 1 reads host 0's value before the punch");
	barrier();
	if (me == 0) {
		struct morsel_punch pu = { .offset = 0, .len = PAGE };

		tap_ok(!ioctl(fd, MORSEL_OBJ_PUNCH, &pu), "punch page 0 while host 1 maps it");
	}
	barrier();
	if (me == 1)
		tap_ok(m && m[0] == 0, "host 1 sees the punched page as a fresh zero page (%#lx)",
		       m ? (unsigned long)m[0] : 0ul);
	/* Delete while host 1 maps the object: refused; then allowed. */
	barrier();
	if (me == 0)
		tap_ok(obj_delete(&pc, "punch") == -EBUSY, "delete while another host maps it: EBUSY");
	barrier();
	munmap((void *)m, 2 * PAGE);
	barrier();
	if (me == 0)
		tap_ok(obj_delete(&pc, "punch") == 0, "delete once no host maps it");
	barrier();
	if (me == 1) {
		tap_ok(stat_errno(fd, &st) == -ESTALE, "host 1's fd of the deleted object: ESTALE");
		tap_ok(obj_open(&pc, "punch") < 0 && errno == ENOENT, "host 1 can no longer open it: ENOENT");
	}
	close(fd);
	delete_during_fill();

	/* Host 1 crashes while it holds a page exclusively. */
	sfd = shared_object("crash", PAGE);
	m = sfd >= 0 ? map(sfd, PAGE) : NULL;
	if (me == 1 && m)
		m[0] = 111;	/* exclusive to host 1 */
	barrier();
	if (me == 0 && m)
		v = m[0];	/* recall: host 1 writes 111 back and downgrades */
	barrier();
	if (me == 1 && m) {
		m[0] = 222;	/* exclusive again, not written back */
		__atomic_store_n(&pc.ctl->flag[63], 1, __ATOMIC_RELEASE);
		tap_diag("crashing while holding the page exclusively");
		tap_end();
		sleep_ms(50);
		fd = open("/proc/sysrq-trigger", O_WRONLY);
		if (fd >= 0 && write(fd, "c", 1) == 1)
			sleep_ms(10000);
		return tap_end();
	}
	if (me == 0) {
		while (!__atomic_load_n(&pc.ctl->flag[63], __ATOMIC_ACQUIRE))
			sched_yield();
		sleep_ms(200);
		t0 = now_ns();
		v = m ? m[0] : 0;
		t0 = (now_ns() - t0) / 1000000;
		tap_ok(t0 <= pc.info.lease_ms + 3000u,
		       "a survivor's read of the dead host's page completes after %lu ms (bound %u ms)",
		       (unsigned long)t0, pc.info.lease_ms + 3000u);
		if (stale)
			tap_ok(v == 111, "it holds the last written-back content (%lu, not the lost 222)",
			       (unsigned long)v);
		else
			tap_ok(v == 111 || v == 222, "it holds the page's content (%lu)", (unsigned long)v);
		m[0] = 333;
		tap_ok(m[0] == 333, "and the survivor can write it");
		tap_ok(sysfs_num("/sys/kernel/morsel/ownership/pages_recovered") >= 1,
		       "the survivor reports the page returned to its last written-back content (%lld)",
		       sysfs_num("/sys/kernel/morsel/ownership/pages_recovered"));
		/* The dead host's mapping goes with it: the object can be deleted. */
		munmap((void *)m, PAGE);
		close(sfd);
		t0 = now_ns();
		while ((err = obj_delete(&pc, "crash")) == -EBUSY &&
		       now_ns() - t0 < (pc.info.lease_ms + 5000ull) * 1000000)
			sleep_ms(100);
		tap_ok(err == 0, "the object the dead host mapped is deleted (%d) after %lu ms",
		       err, (unsigned long)((now_ns() - t0) / 1000000));
	}
	return tap_end();
}

#define KILL_AT "/sys/module/morsel/parameters/kill_at"

/* A barrier of the @n hosts still alive. */
static void barrier_of(unsigned int n)
{
	tap_step(!pool_barrier(&pc, bar, n, BARRIER_MS), "barrier %u: %u hosts", bar, n);
	bar++;
}

/* Wait until host @h is no longer alive; false after a lease and 20 s. */
static bool wait_dead(unsigned int h)
{
	uint64_t t0 = now_ns();

	while (!pool_refresh(&pc) && (pc.info.hosts_alive & (1u << h)))
		if (now_ns() - t0 > (pc.info.lease_ms + 20000ull) * 1000000)
			return false;
		else
			sleep_ms(50);
	return true;
}

/*
 * A host about to be killed at a kill point: its TAP stream ends here,
 * complete; then it arms the point (morsel.kill_at) and the caller walks
 * into it. The launcher kills the host there.
 */
static void arm_kill(const char *point)
{
	tap_diag("arming kill point %s: the launcher kills this host there", point);
	tap_end();
	if (sysfs_write(KILL_AT, point))
		printf("# cannot arm kill point %s\n", point);
}

/*
 * Job "objkill", 4 hosts: the launcher kills hosts 1, 2 and 3 with
 * SIGKILL at points of the protocol (morsel.kill_at): host 1 holding the
 * directory lock, host 2 with a frame taken and not yet entered, host 3
 * while it answers a recall of a page it owns. Host 0 survives each and
 * goes on: it creates an object (breaking the dead holder's lock), writes
 * the page host 2 was filling, and reads the page host 3 owned (its last
 * written-back content in stale-cache mode). make test then checks the
 * pool: the frame host 2 held is the only loss, found and repaired by
 * poolcheck.
 */
static int job_objkill(void)
{
	volatile uint8_t *m = NULL;
	uint64_t e, t0;
	unsigned int p;
	int fd = -1, fd2, err;
	uint8_t v;

	if (me == 0) {
		pc.ctl->flag[62] = 0;
		/* Written and given back: every page's content is on the pool. */
		fd = obj_create(&pc, "kill", 16 * PAGE);
		m = fd >= 0 ? map(fd, 16 * PAGE) : NULL;
		for (p = 0; m && p < 8; p++)
			m[p * PAGE] = 0x10 + p;
		if (m)
			munmap((void *)m, 16 * PAGE);
		close(fd);
		tap_step(m != NULL, "host 0 wrote pages 0-7 of 'kill' and closed it");
	}
	barrier_of(4);
	if (me <= 3) {
		fd = obj_open(&pc, "kill");
		m = fd >= 0 ? map(fd, 16 * PAGE) : NULL;
		tap_step(m != NULL, "'kill' mapped");
	}
	if (me == 3 && m)
		m[7 * PAGE] = 0x77;	/* exclusive to host 3, not written back */
	barrier_of(4);

	/* Host 1 dies holding the directory lock. */
	if (me == 1) {
		arm_kill("dirlock");
		obj_create(&pc, "k1", PAGE);
		printf("# host 1 survived its kill point\n");
		return 0;
	}
	if (me == 0) {
		sleep_ms(1000);	/* host 1 holds the lock, or is dead already */
		fd2 = obj_create(&pc, "k0", PAGE);
		tap_ok(fd2 >= 0 && wait_dead(1),
		       "a create goes through once host 1, killed holding the directory lock, is declared dead (%s)",
		       fd2 >= 0 ? "ok" : strerror(errno));
		close(fd2);
	}
	barrier_of(3);

	/* Host 2 dies with a frame taken for page 12, not yet entered. */
	if (me == 2) {
		arm_kill("frame");
		if (m)
			m[12 * PAGE] = 0x12;
		printf("# host 2 survived its kill point\n");
		return 0;
	}
	if (me == 0) {
		tap_ok(wait_dead(2), "host 2, killed with a frame taken, is declared dead");
		if (m)
			m[12 * PAGE] = 0x12;
		e = obj_entry(fd, 12);
		tap_ok(m && m[12 * PAGE] == 0x12 && MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE &&
			       MORSEL_PTE_OWNER(e) == 0,
		       "host 0 fills page 12 itself (entry %#llx)", (unsigned long long)e);
	}
	barrier_of(2);

	/* Host 3 dies answering a recall of page 7, which it owns. */
	if (me == 3) {
		arm_kill("recall");
		__atomic_store_n(&pc.ctl->flag[62], 1, __ATOMIC_RELEASE);
		sleep_ms(600000);
		printf("# host 3 survived its kill point\n");
		return 0;
	}
	if (me == 0) {
		while (!__atomic_load_n(&pc.ctl->flag[62], __ATOMIC_ACQUIRE))
			sleep_ms(10);	/* until host 3 armed its point */
		v = m ? m[7 * PAGE] : 0;
		tap_ok(wait_dead(3), "host 3, killed answering a recall, is declared dead");
		if (stale)
			tap_ok(v == 0x17, "page 7 holds its last written-back content (%#x, not the lost 0x77)",
			       v);
		else
			tap_ok(v == 0x17 || v == 0x77, "page 7 holds its content (%#x)", v);
		tap_ok(sysfs_num("/sys/kernel/morsel/ownership/pages_recovered") >= 1,
		       "the survivor reports what host 3 held (%lld pages recovered)",
		       sysfs_num("/sys/kernel/morsel/ownership/pages_recovered"));
		for (p = 0; m && p < 7 && m[p * PAGE] == 0x10 + p; p++)
			;
		tap_ok(p == 7, "pages 0-6 are as host 0 wrote them (%u)", p);
		munmap((void *)m, 16 * PAGE);
		close(fd);
		/* The dead hosts' mappings go with them (swept up once fenced). */
		t0 = now_ns();
		while ((err = obj_delete(&pc, "kill")) == -EBUSY &&
		       now_ns() - t0 < (pc.info.lease_ms + 5000ull) * 1000000)
			sleep_ms(100);
		tap_ok(err == 0 && obj_delete(&pc, "k0") == 0,
		       "the objects are deleted, the one the dead hosts mapped too (%d)", err);
	}
	return tap_end();
}

static int job_objdetect(void)
{
	int skip = cmdline_int("morsel.debug_skip_writeback", 0);
	volatile uint64_t *m;
	size_t i, bad = 0;
	int fd = shared_object("detect", PAGE);

	m = fd >= 0 ? map(fd, PAGE) : NULL;
	if (me == 0 && m)
		for (i = 0; i < PAGE / 8; i++)
			m[i] = 0x5eed0000 + i;
	barrier();
	if (me == 1 && m) {
		for (i = 0; i < PAGE / 8; i++)
			bad += m[i] != 0x5eed0000 + i;
		if (skip && obj_create_flags)
			tap_ok(bad == PAGE / 8,
			       "without write-back, a copy mode loses host 0's writes in either cache mode (%zu of %lu words stale)",
			       bad, PAGE / 8);
		else if (skip && stale)
			tap_ok(bad == PAGE / 8,
			       "without write-back, stale-cache mode shows host 0's writes as lost (%zu of %lu words stale)",
			       bad, PAGE / 8);
		else
			tap_ok(!bad, "host 1 reads host 0's writes (%zu stale words)", bad);
	}
	barrier();
	return tap_end();
}

int main(int argc, char **argv)
{
	const char *job = argc > 1 ? argv[1] : "objects";
	int host = guest_job_start(&pc, &nhosts);
	char mode[16];

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	stale = cmdline_int("morsel.stale_cache", 0);
	if (!cmdline_str("mcoherence", mode, sizeof(mode))) {
		/* The objects job's data checks, on a DSM baseline's objects. */
		obj_create_flags = obj_coherence_flags(mode);
		tap_diag("objects are %s (mcoherence=%s)",
			 obj_create_flags == MORSEL_CREATE_PAGECOPY ? "page-copy" :
			 obj_create_flags == MORSEL_CREATE_TWINDIFF ? "twin-diff" :
			 obj_create_flags == MORSEL_CREATE_PLAIN ? "plain" : "morsels",
			 mode);
	}
	if (!strcmp(job, "objects"))
		return job_objects();
	if (!strcmp(job, "objerr"))
		return job_objerr();
	if (!strcmp(job, "objfail"))
		return job_objfail();
	if (!strcmp(job, "objkill"))
		return job_objkill();
	if (!strcmp(job, "objdetect"))
		return job_objdetect();
	fprintf(stderr, "object_test: unknown job %s\n", job);
	return 2;
}
