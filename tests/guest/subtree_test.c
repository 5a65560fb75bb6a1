// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest TAP tests of overlays as page-table subtrees (job "subtree", 2
 * hosts, both cache modes): processes of a host link the overlay's PTE
 * tables, one PMD per 2 MiB, and what core mm does with such mappings.
 *
 * Host 0 works on an object of 4 whole chunks and a 3-page tail; host 1
 * reads what host 0 wrote, then writes a page that host 0's processes have
 * linked, which must revoke it in the shared table.
 *
 * "subtree_test big" (job "bigobject", a pool of 3 GiB or more): a 1 GiB
 * object, written by host 0 and read by host 1 with one recall per 2 MiB.
 *
 * "subtree_test pool" (job "pooltable", 2 hosts): host 1 only reads what
 * host 0 wrote and gave back, through the pool's own hardware page tables
 * (no table of its own, no fault after linking), in two processes; host
 * 0's writes reach both; unmap, exit and a killed process leave the pool's
 * tables as they were; a write gives host 1 a table of its own of that
 * 2 MiB, and once host 0 has read the page back (host 1 owns nothing
 * there again) host 1 returns to the pool's table. In stale-cache mode
 * host 1 keeps tables of its own, and the data must be the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest_job.h"
#include "object_client.h"
#include "pool_client.h"
#include "tap.h"

#define PAGE 4096ul
#define CHUNK (512 * PAGE)
#define CHUNKS 4
#define TAIL 3
#define NPAGES (CHUNKS * 512 + TAIL)
#define SIZE (NPAGES * PAGE)
#define BARRIER_MS 120000
#define MAP_PARAM "/sys/module/morsel/parameters/map"

static struct pool_client pc;
static unsigned int me, nhosts, bar;

static void barrier(void)
{
	tap_step(!pool_barrier(&pc, bar, nhosts, BARRIER_MS), "barrier %u: %u hosts", bar,
		 nhosts);
	bar++;
}

/* PageTables of /proc/meminfo, with every CPU's pending counts folded in. */
static long page_tables_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	if (sysfs_write("/proc/sys/vm/stat_refresh", "1"))
		sleep(2);	/* vmstat folds them every second */
	f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "PageTables: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Does the VMA at @addr carry VmFlags mnemonic @flag in smaps? */
static int vma_has_flag(void *addr, const char *flag)
{
	char line[512], want[32];
	int in = 0, has = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = 1;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			char needle[8];

			snprintf(needle, sizeof(needle), " %s", flag);
			has = strstr(line, needle) != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return has;
}

static unsigned char stamp(unsigned int round, size_t page)
{
	return (unsigned char)(round * 71 + page * 13 + 1);
}

static unsigned char *map_size(int fd, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static unsigned char *map_rw(int fd)
{
	return map_size(fd, SIZE);
}

/* Read the first byte of every page; the count of wrong ones. */
/* Pages of [first, first + count) whose first byte is not round's stamp. */
static size_t check_range(volatile unsigned char *m, unsigned int round, size_t first,
			  size_t count)
{
	size_t p, bad = 0;

	for (p = first; p < first + count; p++)
		bad += m[p * PAGE] != stamp(round, p);
	return bad;
}

static size_t check(volatile unsigned char *m, unsigned int round)
{
	return check_range(m, round, 0, NPAGES);
}

/*
 * A second process (fresh mmap in a child): one link per chunk, no fault
 * for a shared read after linking, sees the parent's writes, and its own
 * writes are the parent's to see. Exit code: 0 ok, else which check failed.
 */
static int second_process(int fd, unsigned int round)
{
	struct morsel_obj_stat a = obj_stat(fd), b;
	unsigned char *m = map_rw(fd);
	long f0;
	size_t bad, p;

	if (!m)
		return 10;
	f0 = minflt();
	bad = check(m, round);
	f0 = minflt() - f0;
	b = obj_stat(fd);
	printf("# child: %ld faults for %u pages, %llu links, %llu read faults\n", f0, NPAGES,
	       (unsigned long long)(b.links - a.links),
	       (unsigned long long)(b.read_faults - a.read_faults));
	if (bad)
		return 11;
	if (b.links - a.links != CHUNKS)
		return 12;
	if (f0 > CHUNKS + TAIL + 2)
		return 13;
	for (p = 0; p < NPAGES; p++)
		m[p * PAGE] = stamp(round + 1, p);
	return 0;
}

static int child_rc(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void core_mm(int fd, unsigned char *m)
{
	unsigned char buf[PAGE];
	uint64_t pm = 1;
	int pipefd[2], pf, rc;
	void *r;

	r = mremap(m, SIZE, SIZE + CHUNK, MREMAP_MAYMOVE);
	tap_ok(r == MAP_FAILED && errno == EINVAL, "mremap of a linked mapping: EINVAL (%s)",
	       r == MAP_FAILED ? strerror(errno) : "moved");
	rc = mprotect(m, SIZE, PROT_READ);
	tap_ok(rc && errno == EACCES, "mprotect of a linked mapping: EACCES (%s)",
	       rc ? strerror(errno) : "changed");
	rc = mprotect(m, SIZE, PROT_READ | PROT_WRITE);
	tap_ok(!rc, "mprotect to the protection it has: allowed (%s)", rc ? strerror(errno) : "ok");
	rc = munmap(m + PAGE, PAGE);
	tap_ok(rc && errno == EINVAL, "munmap of one page inside a linked 2 MiB: EINVAL (%s)",
	       rc ? strerror(errno) : "split");
	/* read() into a linked buffer: copy_to_user through the shared table. */
	memset(buf, 0x5a, sizeof(buf));
	rc = pipe(pipefd);
	if (!rc && write(pipefd[1], buf, PAGE) == (ssize_t)PAGE)
		rc = read(pipefd[0], m + 5 * PAGE, PAGE) == (ssize_t)PAGE ? 0 : -1;
	tap_ok(!rc && m[5 * PAGE] == 0x5a && m[6 * PAGE - 1] == 0x5a,
	       "read() from a pipe into a linked page lands there");
	close(pipefd[0]);
	close(pipefd[1]);
	m[5 * PAGE] = stamp(2, 5);
	/* pagemap skips VM_PFNMAP mappings: a hole. */
	pf = open("/proc/self/pagemap", O_RDONLY);
	rc = pf >= 0 && pread(pf, &pm, 8, (off_t)((uintptr_t)m / PAGE * 8)) == 8;
	tap_ok(rc && pm == 0, "/proc/self/pagemap shows a linked page as a hole (%#llx)",
	       (unsigned long long)pm);
	if (pf >= 0)
		close(pf);
	(void)fd;
}

/* Host 0's part. */
static void host0(void)
{
	long pt0, pt1, pt2, f0;
	int fd = obj_create(&pc, "subtree", SIZE), rc, ok;
	struct morsel_obj_stat a, b, c;
	unsigned char *m, *r;
	size_t p, bad;
	pid_t pid;

	if (!tap_step(fd >= 0, "create the object (%s)", fd < 0 ? strerror(errno) : "ok"))
		return;
	m = map_rw(fd);
	if (!tap_step(m != NULL, "map it"))
		return;
	tap_ok(((uintptr_t)m & (CHUNK - 1)) == 0, "the mapping is placed 2 MiB-aligned (%p)", m);
	tap_ok(vma_has_flag(m, "mo") == 1, "smaps shows the mapping as linked (VmFlags mo)");
	a = obj_stat(fd);
	for (p = 0; p < NPAGES; p++)
		m[p * PAGE] = stamp(1, p);
	b = obj_stat(fd);
	tap_ok(b.links - a.links == CHUNKS, "the first process linked each of the %d chunks once (%llu)",
	       CHUNKS, (unsigned long long)(b.links - a.links));

	/* A second process maps, reads without faults, writes. */
	pid = fork();
	if (!pid)
		_exit(second_process(fd, 1));
	rc = child_rc(pid);
	tap_ok(!rc, "a second process: one link per chunk, at most one fault per chunk (plus the tail) on reading every page, saw the first's writes (rc %d)",
	       rc);
	/*
	 * Faults on the object, counted by the overlay: getrusage() would
	 * also count the copy-on-write faults fork left on this stack.
	 */
	a = obj_stat(fd);
	bad = check(m, 2);
	b = obj_stat(fd);
	f0 = (long)(b.read_faults - a.read_faults + b.write_faults - a.write_faults +
		    b.links - a.links);
	tap_ok(!bad && f0 == 0, "the first process sees the second's writes without a fault (%zu wrong, %ld faults)",
	       bad, f0);

	/* fork: the child inherits the mapping, not the PTEs, and links on fault. */
	pid = fork();
	if (!pid) {
		struct morsel_obj_stat c = obj_stat(fd), d;
		size_t wrong = check(m, 2);

		d = obj_stat(fd);
		_exit(wrong ? 1 : d.links - c.links != CHUNKS ? 2 : 0);
	}
	rc = child_rc(pid);
	tap_ok(!rc, "a forked child links the chunks itself and reads the data (rc %d)", rc);

	/* A killed process leaves the overlay and the pool intact. */
	pid = fork();
	if (!pid) {
		volatile unsigned char *c = map_rw(fd);

		for (;;)
			for (p = 0; c && p < NPAGES; p++)
				(void)c[p * PAGE];
	}
	usleep(300000);
	kill(pid, SIGKILL);
	rc = child_rc(pid);
	bad = check(m, 2);
	tap_ok(rc == 128 + SIGKILL && !bad, "a process killed while reading leaves the data intact (%zu wrong)",
	       bad);

	core_mm(fd, m);

	/* Unmapping a whole aligned chunk splits the mapping there. */
	rc = munmap(m + CHUNK, CHUNK);
	ok = !rc && m[0] == stamp(2, 0) && m[2 * CHUNK] == stamp(2, 1024);
	tap_ok(ok, "munmap of a whole chunk inside: allowed, the rest still mapped (%s)",
	       rc ? strerror(errno) : "ok");
	/*
	 * Unlinking flushed every page of the chunk from the TLB (this process
	 * read them all): anonymous memory mapped there reads zeros.
	 */
	r = rc ? MAP_FAILED : mmap(m + CHUNK, CHUNK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	for (bad = 0, p = 0; r != MAP_FAILED && p < 512; p++)
		bad += r[p * PAGE] != 0;
	tap_ok(r == m + CHUNK && bad == 0,
	       "memory mapped where a chunk was unlinked reads as itself, not the object (%zu stale pages)",
	       bad);
	if (r != MAP_FAILED)
		munmap(r, CHUNK);
	munmap(m, CHUNK);
	munmap(m + 2 * CHUNK, SIZE - 2 * CHUNK);

	/* Per-page mode, kept for comparison: no link, a fault per page. */
	rc = sysfs_write(MAP_PARAM, "sideways");
	tap_ok(rc == -EINVAL, "morsel.map refuses an unknown mode (%s)", strerror(-rc));
	sysfs_write(MAP_PARAM, "fault");
	r = map_rw(fd);
	a = obj_stat(fd);
	f0 = minflt();
	bad = r ? check(r, 2) : NPAGES;
	f0 = minflt() - f0;
	b = obj_stat(fd);
	tap_ok(r && vma_has_flag(r, "mo") == 0 && b.links == a.links && f0 >= NPAGES && bad == 0,
	       "map=fault: not linked, %ld faults for %u pages, data intact", f0, NPAGES);
	if (r)
		munmap(r, SIZE);

	/* Eager: linked at mmap; reading faults only in the tail. */
	sysfs_write(MAP_PARAM, "eager");
	a = obj_stat(fd);
	r = map_rw(fd);
	b = obj_stat(fd);
	bad = r ? check(r, 2) : NPAGES;
	c = obj_stat(fd);
	/* Faults on the object only: the tail's, page by page. */
	f0 = (long)(c.read_faults - b.read_faults + c.write_faults - b.write_faults +
		    c.links - b.links);
	tap_ok(r && b.links - a.links == CHUNKS && f0 <= TAIL && bad == 0,
	       "map=eager: %llu links at mmap, %ld faults on reading every page",
	       (unsigned long long)(b.links - a.links), f0);
	if (r)
		munmap(r, SIZE);
	sysfs_write(MAP_PARAM, "link");

	/* A read-only mapping never links the host's writable entries. */
	r = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	tap_ok(r != MAP_FAILED && vma_has_flag(r, "mo") == 0 && r[3 * PAGE] == stamp(2, 3),
	       "a PROT_READ mapping is mapped page by page, not linked");
	if (r != MAP_FAILED)
		munmap(r, SIZE);

	/* Host 1 reads everything, then writes page 7 while we keep it linked. */
	m = map_rw(fd);
	if (!tap_step(m != NULL, "map again"))
		return;
	barrier();	/* 1: host 1 reads */
	barrier();	/* 2: host 1 wrote page 7 */
	tap_ok(m[7 * PAGE] == 0xee && m[8 * PAGE] == stamp(2, 8),
	       "a page another host wrote is revoked in the shared table: read %#x (expected 0xee)",
	       m[7 * PAGE]);
	munmap(m, SIZE);
	close(fd);

	/*
	 * The overlay's tables count in PageTables and go with the overlay.
	 * Measured around one open, map, touch, unmap and close of this
	 * process alone: forks before allocate kernel stacks, whose vmalloc
	 * page tables stay.
	 */
	pt0 = page_tables_kb();
	fd = obj_open(&pc, "subtree");
	m = fd >= 0 ? map_rw(fd) : NULL;
	bad = m ? check(m, 2) - (m[7 * PAGE] == 0xee) : NPAGES;
	/* Writes: tables of this host's own, not the pool's (pooltable.c). */
	for (p = 0; m && p < CHUNKS; p++)
		((volatile unsigned char *)m)[p * CHUNK + PAGE] = m[p * CHUNK + PAGE];
	pt1 = page_tables_kb();
	if (m)
		munmap(m, SIZE);
	close(fd);
	pt2 = page_tables_kb();
	/* Slack: this process's own upper-level tables may stay. */
	tap_ok(!bad && pt1 >= pt0 + 4 * 4 && pt2 <= pt0 + 8,
	       "PageTables: %ld kB, %ld kB with the object mapped (the overlay's 4 tables are 16 kB), %ld kB after the last unmap and close",
	       pt0, pt1, pt2);
	barrier();	/* 3: done */
}

static void host1(void)
{
	struct morsel_obj_stat a, b;
	unsigned char *m;
	size_t bad;
	long f0;
	int fd;

	barrier();	/* 1 */
	fd = obj_open(&pc, "subtree");
	m = fd >= 0 ? map_rw(fd) : NULL;
	if (tap_step(m != NULL, "open and map the object")) {
		a = obj_stat(fd);
		f0 = minflt();
		bad = check(m, 2);
		f0 = minflt() - f0;
		b = obj_stat(fd);
		tap_ok(bad == 0, "another host reads what host 0's processes wrote (%zu wrong)", bad);
		/* Host 0 owns every page: one recall per 2 MiB, per tail page. */
		tap_ok(b.recalls_sent - a.recalls_sent == CHUNKS + TAIL && f0 <= CHUNKS + TAIL + 2,
		       "a reader following a writer: %llu recalls and %ld faults for %u pages in %d chunks and a tail",
		       (unsigned long long)(b.recalls_sent - a.recalls_sent), f0, NPAGES, CHUNKS);
		m[7 * PAGE] = 0xee;
	}
	barrier();	/* 2 */
	barrier();	/* 3 */
	if (m)
		munmap(m, SIZE);
	if (fd >= 0)
		close(fd);
}

/*
 * A large object (mbigmb=, 1 GiB by default; stale-cache mode keeps a
 * shadow of every page in the guest's RAM): made and written on host 0,
 * read on host 1.
 */
static void big_object(void)
{
	const size_t size = (size_t)cmdline_int("mbigmb", 1024) << 20;
	const size_t pages = size / PAGE, chunks = size / CHUNK;
	struct morsel_create c = { .size = size, .name = "big" };
	struct morsel_open o = { .name = "big" };
	struct morsel_obj_stat a, b;
	volatile unsigned char *m = NULL;
	size_t p, bad = 0;
	long f0;
	int fd = -1;

	if (me == 0) {
		fd = ioctl(pc.fd, MORSEL_IOC_CREATE, &c);
		tap_ok(fd >= 0, "create an object of %zu MiB (%s)", size >> 20, fd < 0 ? strerror(errno) : "ok");
		m = fd >= 0 ? map_size(fd, size) : NULL;
		for (p = 0; m && p < pages; p++)
			m[p * PAGE] = (unsigned char)(p * 7 + p / 512);
		tap_step(m != NULL, "host 0 wrote every page");
	}
	barrier();
	if (me == 1) {
		fd = ioctl(pc.fd, MORSEL_IOC_OPEN, &o);
		m = fd >= 0 ? map_size(fd, size) : NULL;
		if (tap_step(m != NULL, "open and map it")) {
			a = obj_stat(fd);
			f0 = minflt();
			for (p = 0; p < pages; p++)
				bad += m[p * PAGE] != (unsigned char)(p * 7 + p / 512);
			f0 = minflt() - f0;
			b = obj_stat(fd);
			tap_ok(!bad, "host 1 reads the %zu MiB host 0 wrote (%zu wrong pages)", size >> 20, bad);
			tap_ok(b.recalls_sent - a.recalls_sent == chunks && (size_t)f0 <= chunks + 8,
			       "a reader following a writer over %zu MiB: %llu recalls and %ld faults for %zu chunks",
			       size >> 20, (unsigned long long)(b.recalls_sent - a.recalls_sent), f0,
			       chunks);
		}
	}
	barrier();
	if (m)
		munmap((void *)m, size);
	if (fd >= 0)
		close(fd);
	barrier();
	if (me == 0) {
		int rc = ioctl(pc.fd, MORSEL_IOC_DELETE, &o);

		tap_ok(!rc, "delete the large object (%s)", rc ? strerror(errno) : "ok");
	}
}

/* The pool's hardware entries of the object: how many are present, a sum of them. */
static int hw_entries(int fd, unsigned long long *present, unsigned long long *sum)
{
	static unsigned long long e[NPAGES];
	struct morsel_entries req = { .first = 0, .count = NPAGES,
				      .entries = (unsigned long long)(unsigned long)e };
	size_t i;

	if (ioctl(fd, MORSEL_OBJ_HWENTRIES, &req))
		return -errno;
	*present = *sum = 0;
	for (i = 0; i < NPAGES; i++) {
		*present += e[i] & 1;
		*sum = *sum * 31 + e[i];
	}
	return 0;
}

#define TRACING "/sys/kernel/tracing/"

/* Does this host's trace show a reader recall of @page from host 0? */
static int traced_recall(unsigned long page)
{
	char line[512], want[64];
	int found = 0;
	FILE *f = fopen(TRACING "trace", "r");

	snprintf(want, sizeof(want), "page %lu host 0 -> 1 mode 2", page);
	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "morsel_recall_handle:") && strstr(line, want);
	if (f)
		fclose(f);
	return found;
}

/* A process of host 1 that reads the object until told, then page 5 again. */
static pid_t reader_child(unsigned char *m, int *go)
{
	int to_child[2], from_child[2];
	pid_t pid;
	char c;

	if (pipe(to_child) || pipe(from_child))
		return -1;
	pid = fork();
	if (pid == 0) {
		long f0 = minflt();
		size_t bad = check(m, 3);

		f0 = minflt() - f0;
		/* Linked on its first touch of each chunk, then no fault. */
		c = bad ? 'b' : f0 > CHUNKS + TAIL + 2 ? 'f' : 'k';
		if (write(from_child[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(3);
		_exit(m[5 * PAGE] == 0xab && m[600 * PAGE] == 0xcd ? 0 : 4);
	}
	close(to_child[0]);
	close(from_child[1]);
	if (pid < 0 || read(from_child[0], &c, 1) != 1)
		c = 'x';
	close(from_child[0]);
	*go = to_child[1];
	tap_ok(c == 'k', "a second process links the pool's tables and reads without faults (%c)", c);
	return pid;
}

#define TEARDOWN_PARAM "/sys/module/morsel/parameters/teardown_delay_ms"

/*
 * Host 0: a process's last close tears its overlay down (held up 600 ms
 * by morsel.teardown_delay_ms) while another process opens the object and
 * writes page 21. The open waits for the teardown, which must not give
 * away the page the new overlay took: page 21 stays host 0's, and page 20,
 * written before the close, was written back.
 */
static void teardown_overlap(void)
{
	int pipefd[2], fd, status = 0;
	unsigned long long e;
	unsigned char *m;
	pid_t pid;
	char c;

	if (!tap_step(!pipe(pipefd) && !sysfs_write(TEARDOWN_PARAM, "600"),
		      "teardowns held up 600 ms"))
		return;
	pid = fork();
	if (pid == 0) {
		fd = obj_open(&pc, "pooltab");
		m = fd >= 0 ? map_rw(fd) : NULL;
		if (!m)
			_exit(1);
		((volatile unsigned char *)m)[20 * PAGE] = 0x20;
		munmap(m, SIZE);
		if (write(pipefd[1], "c", 1) != 1)
			_exit(2);
		close(fd);	/* the last reference: the teardown runs here */
		_exit(0);
	}
	if (pid < 0 || read(pipefd[0], &c, 1) != 1)
		return;
	usleep(100000);	/* the child is in its teardown now */
	fd = obj_open(&pc, "pooltab");
	m = fd >= 0 ? map_rw(fd) : NULL;
	if (m)
		((volatile unsigned char *)m)[21 * PAGE] = 0x21;
	waitpid(pid, &status, 0);
	sysfs_write(TEARDOWN_PARAM, "0");
	e = m ? obj_entry(fd, 21) : 0;
	tap_ok(m && WIFEXITED(status) && !WEXITSTATUS(status) &&
		       MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE && MORSEL_PTE_OWNER(e) == 0,
	       "an open during the last close's teardown waits for it: the page it writes stays its own (entry %#llx)",
	       e);
	tap_ok(m && m[20 * PAGE] == 0x20 && m[21 * PAGE] == 0x21,
	       "and sees what the closing process wrote");
	if (m)
		munmap(m, SIZE);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void pool_tables(void)
{
	int stale = cmdline_int("morsel.stale_cache", 0), fd = -1, go = -1, status = 0;
	unsigned long long present0 = 0, sum0 = 0, present1 = 0, sum1 = 0;
	struct morsel_obj_stat a = { 0 }, b;
	unsigned char *m = NULL;
	pid_t child = -1, victim;
	size_t p, bad;
	long f0;

	if (me == 0) {
		fd = obj_create(&pc, "pooltab", SIZE);
		m = fd >= 0 ? map_rw(fd) : NULL;
		for (p = 0; m && p < NPAGES; p++)
			m[p * PAGE] = stamp(3, p);
		/* Unmap and close: every page written back and shown in the pool's tables. */
		if (m)
			munmap(m, SIZE);
		close(fd);
		tap_step(m != NULL, "host 0 wrote every page and gave the object back");
	}
	barrier();	/* 1: written */
	if (me == 1) {
		fd = obj_open(&pc, "pooltab");
		m = fd >= 0 ? map_rw(fd) : NULL;
		if (!tap_step(m != NULL && !hw_entries(fd, &present0, &sum0), "open, map, read the pool's entries"))
			return;
		tap_ok(present0 == NPAGES,
		       "every page host 0 gave back is shown in the pool's tables (%llu of %u)",
		       present0, NPAGES);
		a = obj_stat(fd);
		f0 = minflt();
		bad = check(m, 3);
		f0 = minflt() - f0;
		b = obj_stat(fd);
		tap_ok(!bad, "host 1 reads what host 0 wrote (%zu wrong)", bad);
		if (stale)
			tap_ok(b.tables == CHUNKS && b.pool_links == 0,
			       "stale-cache mode: %llu tables of its own, %llu links to the pool's",
			       (unsigned long long)b.tables, (unsigned long long)b.pool_links);
		else
			tap_ok(b.tables == 0 && b.pool_links == CHUNKS &&
				       b.read_faults - a.read_faults == TAIL &&
				       b.recalls_sent == 0 && f0 <= CHUNKS + TAIL + 2,
			       "a host that only reads links the pool's tables: %llu of its own, %llu pool links, %llu protocol read faults (the %d tail pages), %llu recalls, %ld faults",
			       (unsigned long long)b.tables, (unsigned long long)b.pool_links,
			       (unsigned long long)(b.read_faults - a.read_faults), TAIL,
			       (unsigned long long)b.recalls_sent, f0);
		child = reader_child(m, &go);
		a = obj_stat(fd);
		sysfs_write(TRACING "trace", "");
		sysfs_write(TRACING "events/morsel/morsel_recall_handle/enable", "1");
	}
	barrier();	/* 2: host 1 reads through the pool's tables */
	if (me == 0) {
		fd = obj_open(&pc, "pooltab");
		m = fd >= 0 ? map_rw(fd) : NULL;
		if (m) {
			a = obj_stat(fd);
			m[5 * PAGE] = 0xab;
			m[600 * PAGE] = 0xcd;
			b = obj_stat(fd);
			tap_ok(b.recalls_sent - a.recalls_sent >= 2,
			       "writing 2 pages host 1 reads through the pool's table recalls it (%llu recalls)",
			       (unsigned long long)(b.recalls_sent - a.recalls_sent));
		}
	}
	barrier();	/* 3: host 0 wrote pages 5 and 600 */
	if (me == 1) {
		b = obj_stat(fd);
		tap_ok(m[5 * PAGE] == 0xab && m[600 * PAGE] == 0xcd && m[6 * PAGE] == stamp(3, 6),
		       "host 1 sees host 0's writes: %#x %#x", m[5 * PAGE], m[600 * PAGE]);
		sysfs_write(TRACING "events/morsel/morsel_recall_handle/enable", "0");
		tap_ok(b.recalls_handled - a.recalls_handled >= 2 && traced_recall(5) &&
			       traced_recall(600),
		       "host 1 was recalled for them as a reader (%llu recalls handled; pages 5 and 600 in its trace)",
		       (unsigned long long)(b.recalls_handled - a.recalls_handled));
		if (go >= 0 && write(go, "g", 1) == 1)
			waitpid(child, &status, 0);
		tap_ok(go >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "the second process sees them too (status %#x)", status);
		/* A process killed while it reads through the pool's tables. */
		victim = fork();
		if (victim == 0)
			for (;;)
				bad += check(m, 3);
		usleep(200000);
		kill(victim, SIGKILL);
		waitpid(victim, &status, 0);
		munmap(m, SIZE);
		m = NULL;
		close(fd);
	}
	barrier();	/* 4: host 1 unmapped, its processes exited or were killed */
	if (me == 0 && m) {
		munmap(m, SIZE);
		close(fd);	/* pages 5 and 600 shown again */
	}
	barrier();	/* 5 */
	if (me == 1) {
		/* Shown again with the same frames: the tables are as they were. */
		fd = obj_open(&pc, "pooltab");
		if (tap_step(fd >= 0 && !hw_entries(fd, &present1, &sum1), "read the pool's entries again"))
			tap_ok(present1 == present0 && sum1 == sum0,
			       "unmap, exit and a killed process left the pool's tables intact (%llu/%llu present, sum %s)",
			       present1, present0, sum1 == sum0 ? "equal" : "differs");
		/* A write gives host 1 a table of its own for that chunk. */
		m = fd >= 0 ? map_rw(fd) : NULL;
		if (m) {
			a = obj_stat(fd);
			/* Read (links the pool's table), then write: volatile keeps the order. */
			bad = ((volatile unsigned char *)m)[10 * PAGE] != stamp(3, 10);
			((volatile unsigned char *)m)[9 * PAGE] = 0x99;
			b = obj_stat(fd);
			tap_ok(!bad && m[5 * PAGE] == 0xab && b.tables - a.tables == 1 &&
				       b.privatized - a.privatized == (stale ? 0 : 1),
			       "a write after reads makes one table of host 1's own (%llu), leaving the pool's (%llu)",
			       (unsigned long long)(b.tables - a.tables),
			       (unsigned long long)(b.privatized - a.privatized));
			a = obj_stat(fd);
		}
	}
	barrier();	/* 6: host 1 owns page 9, mapped through a table of its own */
	if (me == 0) {
		fd = obj_open(&pc, "pooltab");
		m = fd >= 0 ? map_rw(fd) : NULL;
		tap_ok(m && m[9 * PAGE] == 0x99 && m[5 * PAGE] == 0xab,
		       "host 0 reads host 1's write");
		if (m)
			munmap(m, SIZE);
		close(fd);
	}
	barrier();	/* 7: host 1 gave page 9 back, its last of that 2 MiB */
	if (me == 1 && m) {
		b = obj_stat(fd);
		if (stale)
			tap_ok(b.relinks == a.relinks,
			       "stale-cache mode: owning nothing of it again, host 1 keeps its table (%llu relinks)",
			       (unsigned long long)(b.relinks - a.relinks));
		else
			tap_ok(b.relinks - a.relinks == 1,
			       "owning nothing of it again, host 1 returns the 2 MiB to the pool's table (%llu relinks)",
			       (unsigned long long)(b.relinks - a.relinks));
		a = b;
		f0 = minflt();
		bad = check_range(m, 3, 0, 512);
		f0 = minflt() - f0;
		b = obj_stat(fd);
		if (stale)
			tap_ok(bad == 2, "and reads it (%zu pages changed: 5 and 9)", bad);
		else
			tap_ok(bad == 2 && m[9 * PAGE] == 0x99 && m[5 * PAGE] == 0xab &&
				       b.pool_links - a.pool_links == 1 &&
				       b.read_faults == a.read_faults && f0 <= 2,
			       "and reads it through the pool's table: %llu link, %llu protocol faults, %ld faults, pages 5 and 9 as written",
			       (unsigned long long)(b.pool_links - a.pool_links),
			       (unsigned long long)(b.read_faults - a.read_faults), f0);
	}
	if (me == 1) {
		if (m)
			munmap(m, SIZE);
		close(fd);
	}
	if (me == 0)
		teardown_overlap();
	/* The object stays: make test checks its tables against its entries. */
}

int main(int argc, char **argv)
{
	int host = guest_job_start(&pc, &nhosts);

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	if (argc > 1 && !strcmp(argv[1], "big"))
		big_object();
	else if (argc > 1 && !strcmp(argv[1], "pool"))
		pool_tables();
	else if (me == 0)
		host0();
	else if (me == 1)
		host1();
	return tap_end();
}
