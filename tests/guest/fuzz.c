// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest fuzzer of the object interface (job "fuzz"), run by every host.
 *
 * Each host forks workers that do a bounded number of random operations:
 * create/open/delete with names from a small set (so that hosts collide),
 * valid and invalid sizes and garbage arguments; stat, entries, resize
 * and punch on object fds; mmap/munmap/mprotect/mremap of the objects and
 * random reads and writes in the mappings; fork of a worker whose child
 * touches the mappings; fsync/msync; and now and then an ownership policy
 * attached by the loader in the background and detached by SIGTERM.
 *
 * Every call must end in success or one of the errnos its operation may
 * return (from dev.c, object.c, directory.c, fault.c, writeback.c and the
 * UAPI); anything else is reported with the operation. A SIGBUS is
 * expected where a page is beyond a (shrunk) object or where the fault
 * cannot be served (deleted, fenced): it is caught and counted. Beside the
 * random traffic each worker writes a counter pattern into an object of
 * its own and checks it, and at the end host 0 reads every worker's final
 * pattern back from the pool and checks the directory's invariants that
 * user space can see.
 *
 * Kernel command line: mfuzzops=N operations per worker (10000),
 * mfuzzworkers=N (3), mfuzzseed=S (replays a host's sequence; the default
 * comes from the host id and the time and is printed), mfuzzsecs=N (a
 * time cap on the operations, 120 s), mfuzzcrash=H (host H crashes 2-6 s
 * into the run; the others go on until a lease after they saw it die,
 * then must finish and pass).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pool_client.h"
#include "tap.h"

#define PAGE 4096ul
#define BARRIER_MS 200000
#define MAX_WORKERS 8
#define NAMES 6 /* the shared names: fz0 .. fz5 */
#define MAX_FDS 8
#define MAX_MAPS 8
#define MAX_MAP_PAGES 16
#define OWN_PAGES 4
#define OWN_WORDS (OWN_PAGES * PAGE / 8)
#define NERR 134 /* errnos counted per operation */
#define LOADER "/bin/morsel-policy"
/* Where the workers publish their own object's final counter (scratch). */
#define PUBLISH_OFF 0

enum op {
	OP_CREATE,
	OP_OPEN,
	OP_DELETE,
	OP_CLOSE,
	OP_DEVBAD,
	OP_PING,
	OP_STAT,
	OP_ENTRIES,
	OP_RESIZE,
	OP_PUNCH,
	OP_OBJBAD,
	OP_MMAP,
	OP_MMAP_PRIVATE,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_MREMAP,
	OP_READ,
	OP_WRITE,
	OP_FORK,
	OP_FSYNC,
	OP_MSYNC,
	OP_POLICY,
	OP_OWN,
	OP_NR
};

/* The outcomes each operation may have besides success. */
static const struct {
	const char *name;
	int weight;
	int errs[12];
} ops[OP_NR] = {
	/* ENOENT/ESTALE: deleted by another host between create and open */
	[OP_CREATE] = { "create",
			6,
			{ EINVAL, EEXIST, ENOSPC, EFBIG, EFAULT, ENOENT, ESTALE,
			  ENOMEM, EMFILE } },
	[OP_OPEN] = { "open",
		      8,
		      { EINVAL, ENOENT, ESTALE, EFAULT, ENOMEM, EMFILE } },
	[OP_DELETE] = { "delete", 4, { EINVAL, ENOENT, EBUSY, EFAULT } },
	[OP_CLOSE] = { "close", 3, { 0 } },
	[OP_DEVBAD] = { "bad dev ioctl", 4, { ENOTTY, EFAULT, EINVAL } },
	[OP_PING] = { "ping", 1, { EINVAL, EHOSTDOWN, ETIMEDOUT, EFAULT } },
	[OP_STAT] = { "stat", 5, { ESTALE, EFAULT } },
	[OP_ENTRIES] = { "entries", 4, { EINVAL, EFAULT, ESTALE } },
	/* ETIMEDOUT: a page not acquired within 4 leases (fault.c) */
	[OP_RESIZE] = { "resize",
			4,
			{ EINVAL, EFBIG, EFAULT, ESTALE, ENOSPC, ETIMEDOUT } },
	[OP_PUNCH] = { "punch",
		       4,
		       { EINVAL, EFAULT, ESTALE, ENOSPC, ETIMEDOUT } },
	[OP_OBJBAD] = { "bad object ioctl", 2, { ENOTTY, EFAULT, ESTALE } },
	[OP_MMAP] = { "mmap", 8, { EINVAL, ENOMEM, ESTALE, EOVERFLOW } },
	[OP_MMAP_PRIVATE] = { "mmap private", 1, { EINVAL } },
	/* EINVAL: a linked mapping splits only between 2 MiB chunks */
	[OP_MUNMAP] = { "munmap", 5, { EINVAL } },
	/* EACCES: a linked mapping keeps its protection */
	[OP_MPROTECT] = { "mprotect", 3, { ENOMEM, EACCES, EINVAL } },
	/* EFAULT: growing a VM_DONTEXPAND mapping */
	[OP_MREMAP] = { "mremap", 3, { EFAULT, EINVAL, ENOMEM } },
	[OP_READ] = { "read", 16, { 0 } },
	[OP_WRITE] = { "write", 16, { 0 } },
	[OP_FORK] = { "fork", 1, { EAGAIN, ENOMEM } },
	[OP_FSYNC] = { "fsync", 2, { ESTALE } },
	[OP_MSYNC] = { "msync", 3, { ESTALE, ENOMEM } },
	/* EBUSY: a policy is attached already; EINTR: killed before it
	 * could catch SIGTERM (still loading) */
	[OP_POLICY] = { "policy", 0, { EBUSY, EINTR } },
	[OP_OWN] = { "own object", 10, { 0 } },
};

struct wstat {
	uint64_t ops; /* operations done */
	uint64_t ok[OP_NR];
	uint64_t err[OP_NR][NERR];
	uint64_t max_ns[OP_NR]; /* the longest of each operation */
	uint64_t unexpected;
	uint64_t sigbus; /* reads and writes that got SIGBUS */
	uint64_t sigbus_inside; /* ... within the object's size before and after */
	uint64_t own_checks, own_bad, own_sigbus;
	uint64_t child_bad; /* fork children: bad exit or own data */
	uint64_t loader_runs;
	uint64_t final_n; /* the own object's final counter, 0 if none */
	int capped; /* stopped at the time cap */
	int finished;
};

static struct pool_client pc;
static unsigned int me, nhosts, nworkers, nops, secs;
static int crash_host = -1;
static uint64_t base_seed, deadline_ns;
static char prefix[32];
static int stale;
static struct wstat *stats; /* MAP_SHARED: one per worker */
static uint64_t max_size;

/* Worker state (each worker process has its own copy). */
static unsigned int wid;
static struct wstat *ws;
static uint64_t rng;
static unsigned int said;
struct fdslot {
	int fd;
	int name;
};
static struct fdslot fds[MAX_FDS];
struct map {
	unsigned char *addr; /* NULL: free slot */
	size_t pages;
	uint64_t off; /* page offset in the object */
	int fd; /* the fd it was made from, -1 once closed */
	unsigned char prot[MAX_MAP_PAGES];
	int split; /* mprotect of a part: maybe several VMAs */
};
static struct map maps[MAX_MAPS];
static volatile uint64_t *own;
static int own_fd = -1;
static uint64_t own_expect[OWN_WORDS], own_n;
static pid_t loader_pid;
static uint64_t loader_kill_at;
static char loader_log[64];

static uint64_t rnd(void)
{
	/* splitmix64: any seed is good, and the sequence replays exactly */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int percent)
{
	return below(100) < percent;
}

/* The outcome of one call: counted, and reported if not documented. */
static void outcome(enum op op, int err, const char *what)
{
	unsigned int i;

	if (!err) {
		ws->ok[op]++;
		return;
	}
	for (i = 0; i < 12 && ops[op].errs[i]; i++) {
		if (ops[op].errs[i] == err) {
			ws->err[op][err < NERR ? err : 0]++;
			return;
		}
	}
	ws->unexpected++;
	ws->err[op][err < NERR ? err : 0]++;
	if (said++ < 12)
		tap_diag("host%u worker %u op %lu: %s %s: unexpected %s (%d)",
			 me, wid, (unsigned long)ws->ops, ops[op].name, what,
			 strerrorname_np(err) ?: "errno", err);
}

static void unexpected(enum op op, const char *what)
{
	ws->unexpected++;
	if (said++ < 12)
		tap_diag("host%u worker %u op %lu: %s %s: unexpected", me, wid,
			 (unsigned long)ws->ops, ops[op].name, what);
}

static void set_name(char dst[32], int name)
{
	snprintf(dst, 32, "fz%d", name);
}

/* A size: mostly small and valid, sometimes 0, unaligned or too large. */
static uint64_t rnd_size(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return chance(50) ? max_size + PAGE : ~0ull;
	case 2:
		return 1 + below(3 * PAGE); /* unaligned */
	case 3:
		return chance(10) ? max_size : PAGE * (1 + below(32));
	default:
		return PAGE * (1 + below(MAX_MAP_PAGES));
	}
}

/* A pointer that is no good: NULL, low, kernel, or unmapped. */
static void *bad_ptr(void)
{
	static const uintptr_t bad[] = { 0, 8, 0xffff888000000000ul,
					 0x10000000000ul };

	return (void *)bad[below(4)];
}

static int fd_add(int fd, int name)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++) {
		if (fds[i].fd < 0) {
			fds[i] = (struct fdslot){ fd, name };
			return 0;
		}
	}
	close(fd); /* the table is full: keep it small */
	return -1;
}

/* A random open object fd, or -1. */
static int fd_pick(void)
{
	unsigned int i, start = (unsigned int)below(MAX_FDS);

	for (i = 0; i < MAX_FDS; i++)
		if (fds[(start + i) % MAX_FDS].fd >= 0)
			return fds[(start + i) % MAX_FDS].fd;
	return -1;
}

static struct map *map_pick(void)
{
	unsigned int i, start = (unsigned int)below(MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[(start + i) % MAX_MAPS].addr)
			return &maps[(start + i) % MAX_MAPS];
	return NULL;
}

static struct map *map_free_slot(void)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!maps[i].addr)
			return &maps[i];
	return NULL;
}

static int rnd_prot(void)
{
	static const int p[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				 PROT_READ, PROT_NONE };

	return p[below(4)];
}

static void op_create(void)
{
	struct morsel_create c = { .size = rnd_size() };
	int name = (int)below(NAMES), fd;

	set_name(c.name, name);
	if (chance(4))	/* a page-copy, twin-and-diff or plain object (valid) */
		c.flags = 1u << below(3);
	if (chance(3))
		c.flags |= 1u << (3 + below(29));	/* unknown: EINVAL */
	if (chance(3))
		c.reserved = 1;
	fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
	outcome(OP_CREATE, fd < 0 ? errno : 0, c.name);
	if (fd >= 0)
		fd_add(fd, name);
}

static void op_open(void)
{
	struct morsel_open o = { 0 };
	int name = (int)below(NAMES), fd;

	set_name(o.name, name);
	fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
	outcome(OP_OPEN, fd < 0 ? errno : 0, o.name);
	if (fd >= 0)
		fd_add(fd, name);
}

static void op_delete(void)
{
	struct morsel_open o = { 0 };

	set_name(o.name, (int)below(NAMES));
	outcome(OP_DELETE, ioctl(pc.fd, MORSEL_IOC_DELETE, &o) ? errno : 0,
		o.name);
}

static void op_close(void)
{
	unsigned int i = (unsigned int)below(MAX_FDS), j;

	if (fds[i].fd < 0)
		return;
	for (j = 0; j < MAX_MAPS; j++)
		if (maps[j].fd == fds[i].fd)
			maps[j].fd = -1; /* the number may be reused */
	outcome(OP_CLOSE, close(fds[i].fd) ? errno : 0, "");
	fds[i].fd = -1;
}

/* Garbage to /dev/morsel: bad commands, pointers, names and flags. */
static void op_devbad(void)
{
	static const char *const names[] = { "",  "a/b", "\xff", "caf\xe9",
					     ".", "..",	 "a b",	 "x\n" };
	static const unsigned int cmds[] = { MORSEL_IOC_CREATE, MORSEL_IOC_OPEN,
					     MORSEL_IOC_DELETE };
	union {
		struct morsel_create c;
		struct morsel_open o;
	} u = { .c = { .size = PAGE } };
	struct morsel_create *c = &u.c;
	unsigned int cmd = cmds[below(3)];
	char what[48];
	void *arg = &u;
	long r;

	switch (below(5)) {
	case 0: /* a command of ours with another number, size or direction */
		cmd = _IOC(below(4), MORSEL_IOC_MAGIC, 5 + below(200),
			   below(64));
		snprintf(what, sizeof(what), "cmd %#x", cmd);
		break;
	case 1:
		cmd = chance(20) ? MORSEL_IOC_POOL_INFO : cmd;
		arg = bad_ptr();
		snprintf(what, sizeof(what), "cmd %#x at %p", cmd, arg);
		break;
	case 2:
		strcpy(c->name, names[below(8)]);
		snprintf(what, sizeof(what), "bad name");
		break;
	case 3: /* no NUL in the 32 bytes */
		memset(c->name, 'a' + (int)below(26), sizeof(c->name));
		snprintf(what, sizeof(what), "unterminated name");
		break;
	default:
		set_name(c->name, (int)below(NAMES));
		if (cmd == MORSEL_IOC_CREATE)	/* an unknown flag, or two modes */
			c->flags = chance(4) ? MORSEL_CREATE_FLAGS : 1u << (3 + below(29));
		else
			u.o.flags = 1u << below(32);
		snprintf(what, sizeof(what), "flags");
		break;
	}
	r = ioctl(pc.fd, cmd, arg);
	if (r >= 0) {
		/* Only a valid request can succeed: none of these is one. */
		unexpected(OP_DEVBAD, what);
		if (cmd != MORSEL_IOC_DELETE && cmd != MORSEL_IOC_POOL_INFO)
			close((int)r);
		return;
	}
	outcome(OP_DEVBAD, errno, what);
}

static void op_ping(void)
{
	uint64_t rtt[4];
	struct morsel_ping p = {
		.dst = (uint32_t)below(chance(80) ? nhosts :
						    MORSEL_MAX_HOSTS + 2),
		.count = 1 + (uint32_t)below(4),
		.timeout_ms = chance(90) ? 0 : (uint32_t)below(70000),
		.rtt_ns = chance(90) ? (uintptr_t)rtt : (uintptr_t)bad_ptr(),
	};
	char what[32];

	if (chance(5))
		p.flags = 1u << below(32);
	snprintf(what, sizeof(what), "to host %u", p.dst);
	outcome(OP_PING, ioctl(pc.fd, MORSEL_IOC_PING, &p) ? errno : 0, what);
}

static int obj_size(int fd, uint64_t *size)
{
	struct morsel_obj_stat st;

	if (ioctl(fd, MORSEL_OBJ_STAT, &st))
		return -errno;
	*size = st.size;
	return 0;
}

static void op_stat(int fd)
{
	struct morsel_obj_stat st;
	int bad = chance(5);

	if (ioctl(fd, MORSEL_OBJ_STAT, bad ? bad_ptr() : &st)) {
		outcome(OP_STAT, errno, bad ? "bad pointer" : "");
		return;
	}
	if (bad)
		unexpected(OP_STAT, "to a bad pointer succeeded");
	else if (st.pages_present > (st.size + PAGE - 1) / PAGE ||
		 st.size > st.max_size)
		unexpected(OP_STAT, "inconsistent (pages present > size)");
	else
		outcome(OP_STAT, 0, "");
}

static void op_entries(int fd)
{
	uint64_t e[64];
	struct morsel_entries req = { .entries = (uintptr_t)e };
	char what[64];

	req.first = chance(90) ? below(40) : max_size / PAGE - below(3);
	req.count = below(65);
	if (chance(10))
		req.first = ~0ull - below(3);
	if (chance(10))
		req.count = ~0ull - below(3);
	/* A count past our buffer only with a pointer that cannot be written. */
	if (req.count > 64 || chance(5))
		req.entries = (uintptr_t)bad_ptr();
	snprintf(what, sizeof(what), "first %#lx count %#lx",
		 (unsigned long)req.first, (unsigned long)req.count);
	outcome(OP_ENTRIES, ioctl(fd, MORSEL_OBJ_ENTRIES, &req) ? errno : 0,
		what);
}

static void op_resize(int fd)
{
	uint64_t size = rnd_size();
	char what[48];
	int bad = chance(5);

	snprintf(what, sizeof(what), "to %#lx%s", (unsigned long)size,
		 bad ? " (bad pointer)" : "");
	outcome(OP_RESIZE,
		ioctl(fd, MORSEL_OBJ_RESIZE, bad ? bad_ptr() : &size) ? errno :
									0,
		what);
}

static void op_punch(int fd)
{
	struct morsel_punch p = { .offset = below(20) * PAGE,
				  .len = (1 + below(8)) * PAGE };
	char what[64];
	int bad = chance(5);

	switch (below(6)) {
	case 0:
		p.offset += 1 + below(PAGE - 1);
		break;
	case 1:
		p.len = below(3) * PAGE + (chance(50) ? 1 : 0);
		break;
	case 2:
		p.len = ~0ull - PAGE + 1;
		break;
	}
	snprintf(what, sizeof(what), "offset %#lx len %#lx%s",
		 (unsigned long)p.offset, (unsigned long)p.len,
		 bad ? " (bad pointer)" : "");
	outcome(OP_PUNCH,
		ioctl(fd, MORSEL_OBJ_PUNCH, bad ? bad_ptr() : &p) ? errno : 0,
		what);
}

static void op_objbad(int fd)
{
	unsigned int cmd;
	char what[32];

	if (chance(50)) {
		cmd = _IOC(below(4), MORSEL_IOC_MAGIC, 0x14 + below(100),
			   below(64));
		snprintf(what, sizeof(what), "cmd %#x", cmd);
		outcome(OP_OBJBAD, ioctl(fd, cmd, 0) ? errno : 0, what);
		return;
	}
	/* a device command on an object fd */
	cmd = chance(50) ? MORSEL_IOC_POOL_INFO : MORSEL_IOC_CREATE;
	snprintf(what, sizeof(what), "device cmd %#x", cmd);
	if (ioctl(fd, cmd, bad_ptr()) == 0)
		unexpected(OP_OBJBAD, what);
	else
		outcome(OP_OBJBAD, errno, what);
}

static void op_mmap(int fd, int private)
{
	struct map *m = map_free_slot();
	size_t pages = 1 + below(8), len = pages * PAGE;
	uint64_t off = below(chance(80) ? 4 : 16) * PAGE;
	int prot = rnd_prot(), valid = 1;
	char what[64];
	void *a;

	if (!m)
		return;
	if (!private) {
		switch (below(12)) {
		case 0:
			len = 0;
			valid = 0;
			break;
		case 1:
			len = 1ul << 50; /* more than the address space */
			valid = 0;
			break;
		case 2:
			off += 1 + below(PAGE - 1);
			valid = 0;
			break;
		case 3:
			off = ~0ull & ~(PAGE - 1);
			valid = 0;
			break;
		}
	}
	snprintf(what, sizeof(what), "len %#lx off %#lx prot %d",
		 (unsigned long)len, (unsigned long)off, prot);
	a = mmap(NULL, len, prot, private ? MAP_PRIVATE : MAP_SHARED, fd,
		 (off_t)off);
	if (a == MAP_FAILED) {
		outcome(private ? OP_MMAP_PRIVATE : OP_MMAP, errno, what);
		return;
	}
	if (private || !valid) {
		/* MAP_PRIVATE (copy-on-write of pool pages) is not offered. */
		unexpected(private ? OP_MMAP_PRIVATE : OP_MMAP, what);
		munmap(a, len);
		return;
	}
	outcome(OP_MMAP, 0, what);
	m->addr = a;
	m->pages = pages;
	m->off = off / PAGE;
	m->fd = fd;
	m->split = 0;
	memset(m->prot, prot, sizeof(m->prot));
}

static void op_munmap(struct map *m)
{
	size_t k = m->pages > 1 && chance(40) ? 1 + below(m->pages - 1) :
						m->pages;
	int head = chance(50);
	unsigned char *a = head ? m->addr : m->addr + (m->pages - k) * PAGE;

	if (munmap(a, k * PAGE)) {
		outcome(OP_MUNMAP, errno, "");
		return;	/* nothing unmapped */
	}
	outcome(OP_MUNMAP, 0, "");
	if (k == m->pages) {
		m->addr = NULL;
		return;
	}
	/* a part: the mapping is split, its other part stays */
	if (head) {
		memmove(m->prot, m->prot + k, m->pages - k);
		m->addr += k * PAGE;
		m->off += k;
	}
	m->pages -= k;
}

static void op_mprotect(struct map *m)
{
	size_t first = below(m->pages), n = 1 + below(m->pages - first);
	int prot = rnd_prot();

	if (mprotect(m->addr + first * PAGE, n * PAGE, prot)) {
		outcome(OP_MPROTECT, errno, "");
		return;
	}
	outcome(OP_MPROTECT, 0, "");
	memset(m->prot + first, prot, n);
	m->split |= n < m->pages;
}

static void op_mremap(struct map *m)
{
	size_t len = m->pages * PAGE, nlen = len;
	int flags = 0, kind = (int)below(5), err;
	void *a, *to = NULL;
	char what[64];

	switch (kind) {
	case 0: /* shrink in place */
		if (m->pages < 2)
			return;
		nlen = (1 + below(m->pages - 1)) * PAGE;
		break;
	case 1: /* move, onto a reserved range */
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			  0);
		if (to == MAP_FAILED)
			return;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	case 2: /* grow: the mapping is VM_DONTEXPAND */
		nlen = len + (1 + below(4)) * PAGE;
		flags = chance(50) ? MREMAP_MAYMOVE : 0;
		break;
	case 3: /* keep the old mapping: not for VM_DONTEXPAND */
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	default: /* old_len 0: a duplicate, which grows from 0 */
		len = 0;
		flags = MREMAP_MAYMOVE;
		break;
	}
	snprintf(what, sizeof(what), "%#lx -> %#lx flags %d%s",
		 (unsigned long)len, (unsigned long)nlen, flags,
		 m->split ? " (maybe several VMAs)" : "");
	a = to ? mremap(m->addr, len, nlen, flags, to) :
		 mremap(m->addr, len, nlen, flags);
	err = a == MAP_FAILED ? errno : 0;
	if ((kind == 0 || kind == 1) && err == EINVAL) {
		/* a linked mapping (VM_MORSEL): no move, no split in a chunk */
		outcome(OP_MREMAP, err, what);
		if (to)
			munmap(to, len);
		return;
	}
	if (kind == 0 || (kind == 1 && (!m->split || !err))) {
		/* shrinking works, and so does moving one VMA, unless linked */
		if (err) {
			snprintf(what + strlen(what),
				 sizeof(what) - strlen(what), ": %s",
				 strerrorname_np(err));
			unexpected(OP_MREMAP, what);
			if (to)
				munmap(to, len);
			return;
		}
		outcome(OP_MREMAP, 0, what);
		m->addr = a;
		m->pages = nlen / PAGE;
		return;
	}
	if (err) {
		outcome(OP_MREMAP, err, what);
		if (to)
			munmap(to, len);
		return;
	}
	/* growing, or keeping the old mapping: refused */
	unexpected(OP_MREMAP, what);
	if (kind == 4) {
		munmap(a, nlen); /* a duplicate: drop it */
	} else {
		/* grown (maybe moved) or kept twice: drop what there is */
		if (kind == 3)
			munmap(m->addr, len);
		munmap(a, nlen);
		m->addr = NULL;
	}
}

static sigjmp_buf jb;
static volatile int in_access;

static void on_sigbus(int sig)
{
	(void)sig;
	if (!in_access)
		_exit(128 + SIGBUS); /* a SIGBUS we did not provoke */
	siglongjmp(jb, 1);
}

/* Read or write a word; 1 if it got SIGBUS. */
static int access_word(volatile uint64_t *p, int write, uint64_t v,
		       uint64_t *out)
{
	int faulted = 0;

	if (sigsetjmp(jb, 1)) {
		faulted = 1;
	} else {
		in_access = 1;
		if (write)
			*p = v;
		else
			*out = *p;
	}
	in_access = 0;
	return faulted;
}

/* Pages of the object behind a mapping: its size, or ~0 if unknown. */
static uint64_t map_obj_pages(struct map *m)
{
	uint64_t size = 0;

	if (m->fd < 0 || obj_size(m->fd, &size))
		return ~0ull;
	return (size + PAGE - 1) / PAGE;
}

static void op_access(struct map *m, int write)
{
	size_t page = below(m->pages);
	volatile uint64_t *p =
		(volatile uint64_t *)(m->addr + page * PAGE) + below(PAGE / 8);
	int prot = m->prot[page];
	uint64_t v = 0, before, after;

	if (!(prot & PROT_READ) || (write && !(prot & PROT_WRITE)))
		write = 0, prot = 0;
	if (!prot)
		return; /* would be SIGSEGV, which nothing here provokes */
	before = map_obj_pages(m);
	if (!access_word(p, write, rnd(), &v)) {
		ws->ok[write ? OP_WRITE : OP_READ]++;
		return;
	}
	ws->sigbus++;
	ws->err[write ? OP_WRITE : OP_READ][EFAULT]++; /* counted as SIGBUS */
	after = map_obj_pages(m);
	if (m->off + page < before && m->off + page < after &&
	    before != ~0ull && after != ~0ull)
		ws->sigbus_inside++;
}

/* The own object: the counter pattern, written and checked. */
static uint64_t own_value(unsigned int host, unsigned int w, uint64_t n,
			  uint64_t i)
{
	return ((uint64_t)(host * MAX_WORKERS + w + 1) << 48) ^ (n << 12) ^ i;
}

static int own_check_all(const char *when)
{
	uint64_t i, v, bad = 0, first = ~0ull;

	ws->own_checks++;
	for (i = 0; i < OWN_WORDS; i++) {
		if (access_word(own + i, 0, 0, &v)) {
			ws->own_sigbus++;
			return 1;
		}
		if (v != own_expect[i] && !bad++)
			first = i;
	}
	if (bad) {
		ws->own_bad++;
		if (said++ < 12)
			tap_diag(
				"host%u worker %u op %lu: own object %s: %lu words differ, first %lu: %#lx, expected %#lx",
				me, wid, (unsigned long)ws->ops, when,
				(unsigned long)bad, (unsigned long)first,
				(unsigned long)own[first],
				(unsigned long)own_expect[first]);
	}
	return bad != 0;
}

static void op_own(void)
{
	uint64_t i, k, v;

	if (!own)
		return;
	own_n++;
	for (k = below(16); k; k--) {
		i = below(OWN_WORDS);
		own_expect[i] = own_value(me, wid, own_n, i);
		if (access_word(own + i, 1, own_expect[i], &v))
			ws->own_sigbus++;
	}
	for (k = below(16); k; k--) {
		i = below(OWN_WORDS);
		if (access_word(own + i, 0, 0, &v)) {
			ws->own_sigbus++;
		} else if (v != own_expect[i]) {
			ws->own_bad++;
			if (said++ < 12)
				tap_diag(
					"host%u worker %u op %lu: own object word %lu: %#lx, expected %#lx",
					me, wid, (unsigned long)ws->ops,
					(unsigned long)i, (unsigned long)v,
					(unsigned long)own_expect[i]);
		}
	}
	if (chance(5))
		own_check_all("after random operations");
	if (chance(5))
		outcome(OP_MSYNC,
			msync((void *)own, OWN_PAGES * PAGE,
			      chance(50) ? MS_SYNC : MS_ASYNC) ?
				errno :
				0,
			"own object");
	ws->ok[OP_OWN]++;
}

/* Wait for a child at most @ms; its status, or -1 (then it is killed). */
static int wait_bounded(pid_t pid, unsigned int ms, int *status)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -1;
		}
		sleep_ms(5);
	}
}

/* A child of the worker touches the mappings and checks the own object. */
static void op_fork(void)
{
	int status, i;
	struct map *m;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		outcome(OP_FORK, errno, "");
		return;
	}
	if (!pid) {
		uint64_t v;

		said = 100; /* the parent reports */
		for (i = 0; i < 8 && (m = map_pick()); i++) {
			size_t page = below(m->pages);
			int prot = m->prot[page];
			volatile uint64_t *p =
				(volatile uint64_t *)(m->addr + page * PAGE) +
				below(PAGE / 8);

			if (prot & PROT_WRITE)
				access_word(p, 1, rnd(), &v);
			else if (prot & PROT_READ)
				access_word(p, 0, 0, &v);
		}
		_exit(own && own_check_all("in a fork child") ? 3 : 0);
	}
	if (wait_bounded(pid, 60000, &status)) {
		unexpected(OP_FORK, "child did not exit within 60 s");
		ws->child_bad++;
	} else if (WIFSIGNALED(status)) {
		char what[48];

		snprintf(what, sizeof(what), "child killed by signal %d",
			 WTERMSIG(status));
		unexpected(OP_FORK, what);
		ws->child_bad++;
	} else if (WEXITSTATUS(status)) {
		ws->child_bad++;
		ws->own_bad++;
		if (said++ < 12)
			tap_diag(
				"host%u worker %u: fork child's own object check failed (exit %d)",
				me, wid, WEXITSTATUS(status));
	} else {
		outcome(OP_FORK, 0, "");
	}
}

static void op_fsync(int fd)
{
	outcome(OP_FSYNC, (chance(50) ? fsync(fd) : fdatasync(fd)) ? errno : 0,
		"");
}

static void op_msync(struct map *m)
{
	static const int flags[] = { MS_SYNC, MS_ASYNC, MS_SYNC | MS_INVALIDATE,
				     MS_ASYNC | MS_INVALIDATE };
	size_t first = below(m->pages), n = 1 + below(m->pages - first);
	int f = flags[below(4)];
	char what[32];

	snprintf(what, sizeof(what), "flags %d", f);
	outcome(OP_MSYNC,
		msync(m->addr + first * PAGE, n * PAGE, f) ? errno : 0, what);
}

static int file_has(const char *path, const char *needle)
{
	char buf[4096];

	return !sysfs_str(path, buf, sizeof(buf)) && strstr(buf, needle);
}

static void loader_start(void)
{
	static const char *const names[] = { "eager", "lazy", "seqgrant",
					     "selfinval", "hold" };
	const char *name = names[below(5)];
	pid_t pid;

	snprintf(loader_log, sizeof(loader_log), "/tmp/fuzz-loader-%u.log",
		 wid);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		outcome(OP_POLICY, errno, "fork");
		return;
	}
	if (!pid) {
		int fd = open(loader_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(LOADER, LOADER, "-q", name, (char *)NULL);
		_exit(127);
	}
	loader_pid = pid;
	loader_kill_at = now_ns() + (100 + below(2400)) * 1000000ull;
	ws->loader_runs++;
}

/* SIGTERM to the loader; it must detach and exit 0, or have been refused. */
static void loader_stop(void)
{
	char what[160], last[4096];
	int status;

	kill(loader_pid, SIGTERM);
	if (wait_bounded(loader_pid, 30000, &status)) {
		unexpected(OP_POLICY,
			   "loader did not exit within 30 s of SIGTERM");
	} else if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		outcome(OP_POLICY, 0, "");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
		   (file_has(loader_log, "attached already") ||
		    file_has(loader_log, "still holds its link") ||
		    file_has(loader_log, "Device or resource busy"))) {
		outcome(OP_POLICY, EBUSY, "");
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) {
		outcome(OP_POLICY, EINTR, "");
	} else {
		if (sysfs_str(loader_log, last, sizeof(last)))
			last[0] = 0;
		snprintf(what, sizeof(what), "loader status %#x: %.100s",
			 status, last);
		unexpected(OP_POLICY, what);
	}
	loader_pid = 0;
}

static void own_setup(void)
{
	struct morsel_create c = { .size = OWN_PAGES * PAGE };
	void *m;

	snprintf(c.name, sizeof(c.name), "fz%uw%u", me, wid);
	own_fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
	if (own_fd < 0 && errno == EEXIST) /* left by an earlier run */
		own_fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &c);
	if (own_fd < 0) {
		tap_diag("host%u worker %u: create own object %s: %s", me, wid,
			 c.name, strerror(errno));
		ws->own_bad++;
		return;
	}
	m = mmap(NULL, OWN_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 own_fd, 0);
	if (m == MAP_FAILED) {
		tap_diag("host%u worker %u: map own object: %s", me, wid,
			 strerror(errno));
		ws->own_bad++;
		return;
	}
	own = m;
}

/* The final pattern, for host 0 to read back from the pool. */
static void own_finish(void)
{
	uint64_t i, v;

	if (!own)
		return;
	if (own_check_all("at the end"))
		return;
	own_n++;
	for (i = 0; i < OWN_WORDS; i++) {
		own_expect[i] = own_value(me, wid, own_n, i);
		if (access_word(own + i, 1, own_expect[i], &v)) {
			ws->own_sigbus++;
			return;
		}
	}
	if (own_check_all("after the final pattern"))
		return;
	/* Closing gives every page back, written back (overlay_free()). */
	munmap((void *)own, OWN_PAGES * PAGE);
	close(own_fd);
	ws->final_n = own_n;
}

/*
 * With a host to crash, every host goes on past its operations until the
 * crash has been seen and a lease more has passed, so that the survivors'
 * operations meet the dead host; the host that crashes never stops.
 */
static int crash_pending(void)
{
	static uint64_t seen;

	if (crash_host < 0)
		return 0;
	if ((int)me == crash_host)
		return 1;
	if (!seen && (ws->ops % 16 || pool_refresh(&pc) ||
		      (pc.info.hosts_alive & (1u << crash_host))))
		return 1;
	if (!seen)
		seen = now_ns();
	return now_ns() - seen < pc.info.lease_ms * 1000000ull;
}

static void worker(unsigned int w)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	unsigned int i, total = 0, pick;
	uint64_t t0, dt;
	enum op op;
	struct map *m;
	int fd;

	wid = w;
	ws = &stats[w];
	rng = base_seed ^ ((uint64_t)(me + 1) << 40) ^
	      ((uint64_t)(w + 1) << 20);
	rnd();
	sigaction(SIGBUS, &sa, NULL);
	for (i = 0; i < MAX_FDS; i++)
		fds[i].fd = -1;
	own_setup();
	for (i = 0; i < OP_NR; i++)
		total += (unsigned int)ops[i].weight;
	for (ws->ops = 0; ws->ops < nops || crash_pending(); ws->ops++) {
		if (now_ns() > deadline_ns) {
			ws->capped = 1;
			break;
		}
		if (loader_pid && now_ns() > loader_kill_at)
			loader_stop();
		if (!loader_pid && !below(600))
			loader_start();
		pick = (unsigned int)below(total);
		for (op = 0; pick >= (unsigned int)ops[op].weight; op++)
			pick -= (unsigned int)ops[op].weight;
		fd = fd_pick();
		m = map_pick();
		t0 = now_ns();
		switch (op) {
		case OP_CREATE:
			op_create();
			break;
		case OP_OPEN:
			op_open();
			break;
		case OP_DELETE:
			op_delete();
			break;
		case OP_CLOSE:
			op_close();
			break;
		case OP_DEVBAD:
			op_devbad();
			break;
		case OP_PING:
			op_ping();
			break;
		case OP_STAT:
		case OP_ENTRIES:
		case OP_RESIZE:
		case OP_PUNCH:
		case OP_OBJBAD:
		case OP_MMAP:
		case OP_MMAP_PRIVATE:
		case OP_FSYNC:
			if (fd < 0)
				continue;
			if (op == OP_STAT)
				op_stat(fd);
			else if (op == OP_ENTRIES)
				op_entries(fd);
			else if (op == OP_RESIZE)
				op_resize(fd);
			else if (op == OP_PUNCH)
				op_punch(fd);
			else if (op == OP_OBJBAD)
				op_objbad(fd);
			else if (op == OP_FSYNC)
				op_fsync(fd);
			else
				op_mmap(fd, op == OP_MMAP_PRIVATE);
			break;
		case OP_MUNMAP:
		case OP_MPROTECT:
		case OP_MREMAP:
		case OP_READ:
		case OP_WRITE:
		case OP_MSYNC:
			if (!m)
				continue;
			if (op == OP_MUNMAP)
				op_munmap(m);
			else if (op == OP_MPROTECT)
				op_mprotect(m);
			else if (op == OP_MREMAP)
				op_mremap(m);
			else if (op == OP_MSYNC)
				op_msync(m);
			else
				op_access(m, op == OP_WRITE);
			break;
		case OP_FORK:
			op_fork();
			break;
		case OP_OWN:
			op_own();
			break;
		default:
			break;
		}
		dt = now_ns() - t0;
		if (dt > ws->max_ns[op])
			ws->max_ns[op] = dt;
	}
	if (loader_pid)
		loader_stop();
	own_finish();
	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].addr)
			munmap(maps[i].addr, maps[i].pages * PAGE);
	for (i = 0; i < MAX_FDS; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	ws->finished = 1;
	fflush(stdout);
	_exit(0);
}

/* Add up the workers' counts: how many of each outcome per operation. */
static void report_counts(uint64_t *total_ops, uint64_t *unexp)
{
	char line[1024];
	unsigned int w, o, e;
	size_t n;

	*total_ops = *unexp = 0;
	for (w = 0; w < nworkers; w++) {
		*total_ops += stats[w].ops;
		*unexp += stats[w].unexpected;
	}
	for (o = 0; o < OP_NR; o++) {
		uint64_t ok = 0, cnt[NERR] = { 0 }, mx = 0;

		for (w = 0; w < nworkers; w++) {
			ok += stats[w].ok[o];
			for (e = 0; e < NERR; e++)
				cnt[e] += stats[w].err[o][e];
			if (stats[w].max_ns[o] > mx)
				mx = stats[w].max_ns[o];
		}
		n = (size_t)snprintf(line, sizeof(line), "%s: %lu ok",
				     ops[o].name, (unsigned long)ok);
		for (e = 0; e < NERR && n < sizeof(line) - 40; e++) {
			const char *name =
				e == EFAULT && (o == OP_READ || o == OP_WRITE) ?
					"SIGBUS" :
					strerrorname_np((int)e);

			if (cnt[e])
				n += (size_t)snprintf(
					line + n, sizeof(line) - n, ", %s %lu",
					name ?: "other", (unsigned long)cnt[e]);
		}
		snprintf(line + n, sizeof(line) - n, "; longest %lu ms",
			 (unsigned long)(mx / 1000000));
		tap_diag("%s%s", prefix, line);
	}
}

/* What host 0 can check of the directory from user space, at the end. */
static int dir_check(uint32_t alive, int final, uint64_t *objs)
{
	char name[32];
	unsigned int i, h, w, bad = 0, beyond = 0;
	uint64_t e[MAX_MAP_PAGES * 4];

	*objs = 0;
	for (i = 0; i < NAMES + MORSEL_MAX_HOSTS * MAX_WORKERS; i++) {
		struct morsel_open o = { 0 };
		struct morsel_obj_stat st;
		struct morsel_entries req = { .first = 0,
					      .entries = (uintptr_t)e };
		uint64_t pages, p;
		int fd;

		h = (i - NAMES) / MAX_WORKERS;
		w = (i - NAMES) % MAX_WORKERS;
		if (i < NAMES)
			set_name(o.name, (int)i);
		else if (h < nhosts && w < nworkers)
			snprintf(o.name, sizeof(o.name), "fz%uw%u", h, w);
		else
			continue;
		fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
		if (fd < 0)
			continue;
		(*objs)++;
		if (ioctl(fd, MORSEL_OBJ_STAT, &st)) {
			close(fd);
			continue; /* deleted meanwhile */
		}
		pages = (st.size + PAGE - 1) / PAGE;
		snprintf(name, sizeof(name), "%s", o.name);
		if ((st.views | st.mapped) & ~alive ||
		    st.pages_present > pages ||
		    st.pages_exclusive + st.pages_shared > st.pages_present ||
		    st.size > st.max_size) {
			if (final)
				tap_diag(
					"%s%s: views %#x mapped %#x (alive %#x), %lu pages present, %lu exclusive, %lu shared, size %lu",
					prefix, name, st.views, st.mapped,
					alive, (unsigned long)st.pages_present,
					(unsigned long)st.pages_exclusive,
					(unsigned long)st.pages_shared,
					(unsigned long)st.size);
			bad++;
		}
		/* The entries we may have touched: every named host alive. */
		req.count = pages < MAX_MAP_PAGES * 4 ? pages :
							MAX_MAP_PAGES * 4;
		if (req.count && !ioctl(fd, MORSEL_OBJ_ENTRIES, &req)) {
			for (p = 0; p < req.count; p++) {
				uint32_t s = MORSEL_PTE_STATE(e[p]),
					 r = MORSEL_PTE_READERS(e[p]),
					 hosts = r;

				if (s == MORSEL_PTE_EXCLUSIVE ||
				    s == MORSEL_PTE_BUSY)
					hosts |= 1u << MORSEL_PTE_OWNER(e[p]);
				if ((hosts & ~alive) ||
				    (s == MORSEL_PTE_EXCLUSIVE && r) ||
				    (s != MORSEL_PTE_NONE &&
				     !MORSEL_PTE_FRAME1(e[p])) ||
				    (s == MORSEL_PTE_NONE &&
				     (r || MORSEL_PTE_FRAME1(e[p])))) {
					if (final)
						tap_diag(
							"%s%s page %lu: entry %#lx (alive %#x)",
							prefix, name,
							(unsigned long)p,
							(unsigned long)e[p],
							alive);
					bad++;
				}
			}
		}
		/* Past the size: a shrink punched it; a frame here would be
		 * old data that a later grow shows instead of zeros. */
		req.first = pages;
		req.count = MAX_MAP_PAGES * 2;
		if (final && pages + req.count <= st.max_size / PAGE &&
		    !ioctl(fd, MORSEL_OBJ_ENTRIES, &req)) {
			for (p = 0; p < req.count; p++)
				if (MORSEL_PTE_FRAME1(e[p]) && beyond++ < 4)
					tap_diag(
						"%s%s page %lu past the size (%lu pages) holds a frame: entry %#lx",
						prefix, name,
						(unsigned long)(pages + p),
						(unsigned long)pages,
						(unsigned long)e[p]);
		}
		close(fd);
	}
	if (final)
		tap_diag("%s%u pages past their object's size hold a frame",
			 prefix, beyond);
	return (int)bad;
}

/* Host 0 reads back every finished worker's final pattern from the pool. */
static void own_readback(volatile uint64_t *pub, uint32_t alive)
{
	unsigned int h, w, objs = 0, bad = 0;
	uint64_t i;

	for (h = 0; h < nhosts; h++) {
		if (!(alive & (1u << h)))
			continue;
		for (w = 0; w < nworkers; w++) {
			uint64_t n = pub[h * MAX_WORKERS + w], diff = 0;
			struct morsel_open o = { 0 };
			volatile uint64_t *m;
			int fd;

			if (!n)
				continue;
			snprintf(o.name, sizeof(o.name), "fz%uw%u", h, w);
			fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
			m = fd < 0 ? MAP_FAILED :
				     mmap(NULL, OWN_PAGES * PAGE, PROT_READ,
					  MAP_SHARED, fd, 0);
			objs++;
			if (m == MAP_FAILED) {
				tap_diag("%s%s: %s", prefix, o.name,
					 strerror(errno));
				bad++;
			} else {
				for (i = 0; i < OWN_WORDS; i++)
					diff += m[i] != own_value(h, w, n, i);
				if (diff) {
					tap_diag(
						"%s%s: %lu of %lu words are not the final pattern",
						prefix, o.name,
						(unsigned long)diff,
						(unsigned long)OWN_WORDS);
					bad++;
				}
				munmap((void *)m, OWN_PAGES * PAGE);
			}
			if (fd >= 0)
				close(fd);
		}
	}
	tap_ok(!bad,
	       "%severy worker's final pattern reads back from the pool on host 0 (%u objects, %u bad)",
	       prefix, objs, bad);
}

/* Host 0 deletes every object at the end: none may stay busy. */
static void delete_all(unsigned int bound_ms)
{
	unsigned int i, h, w, n = 0, busy = 0;
	uint64_t t0 = now_ns();
	int err = 0;

	for (i = 0; i < NAMES + nhosts * MAX_WORKERS; i++) {
		struct morsel_open o = { 0 };

		h = (i - NAMES) / MAX_WORKERS;
		w = (i - NAMES) % MAX_WORKERS;
		if (i < NAMES)
			set_name(o.name, (int)i);
		else if (w < nworkers)
			snprintf(o.name, sizeof(o.name), "fz%uw%u", h, w);
		else
			continue;
		while ((err = ioctl(pc.fd, MORSEL_IOC_DELETE, &o) ?
				      errno :
				      0) == EBUSY &&
		       now_ns() - t0 < bound_ms * 1000000ull)
			sleep_ms(100);
		if (!err)
			n++;
		else if (err != ENOENT && busy++ < 4)
			tap_diag("%sdelete %s: %s", prefix, o.name,
				 strerrorname_np(err));
	}
	tap_ok(!busy,
	       "%severy object left is deleted at the end (%u deleted, %u refused) after %lu ms",
	       prefix, n, busy, (unsigned long)((now_ns() - t0) / 1000000));
}

static void crash_now(void)
{
	uint64_t total, unexp;
	int fd;

	report_counts(&total, &unexp);
	tap_ok(!unexp,
	       "%sno unexpected outcome in %lu operations before the crash",
	       prefix, (unsigned long)total);
	tap_diag("%scrashing with the workers running", prefix);
	tap_end();
	sleep_ms(50);
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0 && write(fd, "c", 1) == 1)
		sleep_ms(10000);
}

int main(void)
{
	unsigned int w, normal = 0, survivors, bar = 0;
	pid_t pids[MAX_WORKERS];
	uint64_t t0, total, unexp, sigbus = 0, inside = 0, own_bad = 0,
				   checks = 0, capped = 0, loaders = 0, objs,
				   bound_ns;
	volatile uint64_t *pub;
	char seedstr[32];
	int err, bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	nhosts = (unsigned int)cmdline_int("mhosts", 1);
	stale = cmdline_int("morsel.stale_cache", 0);
	nworkers = (unsigned int)cmdline_int("mfuzzworkers", 3);
	if (nworkers < 1 || nworkers > MAX_WORKERS)
		nworkers = 3;
	nops = (unsigned int)cmdline_int("mfuzzops", 10000);
	secs = (unsigned int)cmdline_int("mfuzzsecs", 120);
	crash_host = cmdline_int("mfuzzcrash", -1);
	if (crash_host >= (int)nhosts)
		crash_host = -1;
	tap_start("");
	err = pool_open(&pc);
	if (!tap_step(!err, "open the pool (%s)", strerror(-err)))
		return tap_end();
	me = pc.info.host_id;
	snprintf(prefix, sizeof(prefix), "host%u%s: ", me,
		 stale ? " stale" : "");
	if (cmdline_str("mfuzzseed", seedstr, sizeof(seedstr)))
		base_seed = (now_ns() ^ (uint64_t)time(NULL) << 20) * (me + 1) %
			    1000000007ull;
	else
		base_seed = strtoull(seedstr, NULL, 0);
	tap_diag(
		"%sfuzz seed %lu (replay this host's sequence with -a mfuzzseed=%lu): %u workers x %u operations, time cap %u s%s",
		prefix, (unsigned long)base_seed, (unsigned long)base_seed,
		nworkers, nops, secs,
		crash_host >= 0 ? ", a host crashes" : "");
	tap_step(!pool_wait_alive(&pc, (1u << nhosts) - 1, 60000),
		 "%sall %u hosts alive", prefix, nhosts);
	{
		struct morsel_obj_stat st;
		struct morsel_create c = { .size = PAGE };
		int fd;

		/* the pool's object limit, for sizes just past it */
		snprintf(c.name, sizeof(c.name), "fzmax%u", me);
		fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
		max_size = fd >= 0 && !ioctl(fd, MORSEL_OBJ_STAT, &st) ?
				   st.max_size :
				   1ull << 30;
		if (fd >= 0)
			close(fd);
		ioctl(pc.fd, MORSEL_IOC_DELETE, &c);
	}
	stats = mmap(NULL, sizeof(*stats) * MAX_WORKERS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_step(stats != MAP_FAILED, "shared statistics"))
		return tap_end();
	tap_step(!pool_barrier(&pc, bar++, nhosts, BARRIER_MS),
		 "%sbarrier: %u hosts start", prefix, nhosts);
	t0 = now_ns();
	deadline_ns = t0 + secs * 1000000000ull;
	fflush(stdout);
	for (w = 0; w < nworkers; w++) {
		pids[w] = fork();
		if (!pids[w])
			worker(w);
	}
	if ((int)me == crash_host) {
		rng = base_seed;
		sleep_ms(2000 + (unsigned int)below(4000));
		crash_now();
		return tap_end();
	}
	for (w = 0; w < nworkers; w++) {
		int status;

		if (pids[w] < 0) {
			tap_diag("%sfork of worker %u: %s", prefix, w,
				 strerror(errno));
			continue;
		}
		/* every operation is bounded: the cap plus a minute is plenty */
		if (wait_bounded(pids[w],
				 (unsigned int)((deadline_ns - t0) / 1000000 +
						60000),
				 &status)) {
			tap_diag("%sworker %u hung: killed", prefix, w);
		} else if (WIFSIGNALED(status) || WEXITSTATUS(status) ||
			   !stats[w].finished) {
			tap_diag(
				"%sworker %u ended with status %#x after %lu operations",
				prefix, w, status, (unsigned long)stats[w].ops);
		} else {
			normal++;
		}
	}
	report_counts(&total, &unexp);
	bound_ns = 0;
	for (w = 0; w < nworkers; w++) {
		unsigned int o;

		sigbus += stats[w].sigbus;
		inside += stats[w].sigbus_inside;
		own_bad += stats[w].own_bad + stats[w].own_sigbus;
		checks += stats[w].own_checks;
		capped += (uint64_t)stats[w].capped;
		loaders += stats[w].loader_runs;
		for (o = 0; o < OP_NR; o++)
			if (o != OP_FORK && o != OP_POLICY &&
			    stats[w].max_ns[o] > bound_ns)
				bound_ns = stats[w].max_ns[o];
	}
	tap_diag(
		"%s%lu operations in %lu ms; %lu SIGBUS (%lu within the object's size before and after), %lu policy loaders%s",
		prefix, (unsigned long)total,
		(unsigned long)((now_ns() - t0) / 1000000),
		(unsigned long)sigbus, (unsigned long)inside,
		(unsigned long)loaders,
		capped ? ", stopped at the time cap" : "");
	tap_diag(
		"%sthis host: %lld transfers, %lld recalls handled, %lld write-backs, %lld shootdowns, %lld pages recovered from a dead host",
		prefix, sysfs_num("/sys/kernel/morsel/ownership/transfers"),
		sysfs_num("/sys/kernel/morsel/ownership/recalls_handled"),
		sysfs_num("/sys/kernel/morsel/ownership/writebacks"),
		sysfs_num("/sys/kernel/morsel/ownership/shootdowns"),
		sysfs_num("/sys/kernel/morsel/ownership/pages_recovered"));
	tap_ok(!unexp,
	       "%sno unexpected errno or outcome in %lu operations (%lu unexpected)",
	       prefix, (unsigned long)total, (unsigned long)unexp);
	tap_ok(normal == nworkers, "%severy worker exited normally (%u of %u)",
	       prefix, normal, nworkers);
	tap_ok(!own_bad, "%sown-object data intact (%lu full checks, %lu bad)",
	       prefix, (unsigned long)checks, (unsigned long)own_bad);
	/* A fault waits at most 4 leases (fault.c), a recall one. */
	tap_ok(bound_ns <= (4ull * pc.info.lease_ms + 5000) * 1000000ull,
	       "%severy operation ended within 4 leases + 5 s (longest %lu ms)",
	       prefix, (unsigned long)(bound_ns / 1000000));

	/* Publish the final counters; host 0 reads the patterns back. */
	pub = (volatile uint64_t *)(pc.data + PUBLISH_OFF);
	for (w = 0; w < nworkers; w++)
		pub[me * MAX_WORKERS + w] = stats[w].final_n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	survivors = nhosts - (crash_host >= 0);
	tap_step(!pool_barrier(&pc, bar++, survivors, BARRIER_MS),
		 "%sbarrier: %u hosts done", prefix, survivors);
	if (me == 0) {
		uint32_t alive, dead = crash_host >= 0 ? 1u << crash_host : 0;
		uint64_t t1 = now_ns(),
			 bound = (2ull * pc.info.lease_ms + 10000) * 1000000ull;

		/* A dead host's bits go once a survivor has swept up after it. */
		do {
			pool_refresh(&pc);
			alive = pc.info.hosts_alive;
			bad = dir_check(alive, 0, &objs);
			if ((!bad && !(alive & dead)) || now_ns() - t1 > bound)
				break;
			sleep_ms(200);
		} while (1);
		bad = dir_check(alive, 1, &objs);
		tap_ok(!bad && !(alive & dead),
		       "%sdirectory invariants hold for the %lu objects left: views and mapped name live hosts only, pages present within the size, every entry MRSW with live hosts (%d bad; alive %#x, after %lu ms)",
		       prefix, (unsigned long)objs, bad, alive,
		       (unsigned long)((now_ns() - t1) / 1000000));
		own_readback(pub, alive);
		delete_all(pc.info.lease_ms + 10000);
	}
	tap_step(!pool_barrier(&pc, bar++, survivors, BARRIER_MS),
		 "%sbarrier: host 0 checked", prefix);
	return tap_end();
}
