// SPDX-License-Identifier: GPL-2.0
/*
 * mapbench: what it costs to make an object's pages usable in a process,
 * morsel overlays linked as page-table subtrees against a shared memfd and
 * against the per-page overlay (morsel.map=fault), in one run (2 hosts).
 *
 * For each size N (capped by the pool's object limit and the guest's RAM),
 * with the pages written once before (and given back by their writer):
 *   usable  mmap until every page is accessible without a fault: memfd
 *           with MAP_POPULATE, plain pool memory (the data region mapped
 *           as device DAX maps it, one fault per 2 MiB PMD), morsel with
 *           map=eager (links at mmap),
 *           linked to the pool's own hardware tables (pooltable.c) and, with
 *           morsel.pool_tables=0, to tables of the host's own
 *   touch   mmap and read one byte per 4 KiB page: memfd, plain pool
 *           memory by 2 MiB PMDs and by 4 KiB PTEs, map=fault,
 *           map=link for the host's first process and for a second one
 *   handoff the fd passed over a UNIX socket to another process, which
 *           maps and touches: memfd against morsel (map=link)
 *   host 1  a process on another host maps and touches (after the writer
 *           closed the object)
 * Each row: median of R runs of time, page faults (getrusage) per GiB and
 * the morsel counters (links, of them to the pool's tables, tables made). Printed with the accelerator;
 * the counts are what travels across machines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "object_client.h"
#include "pool_client.h"

#define PAGE 4096ul
#define RUNS 3
#define MAP_PARAM "/sys/module/morsel/parameters/map"
#define POOL_TABLES_PARAM "/sys/module/morsel/parameters/pool_tables"

static struct pool_client pc;
static unsigned int me, bar;

struct sample {
	double us;	/* wall time */
	double faults;	/* minor faults */
	double links;	/* morsel PMD links */
	double tables;	/* morsel tables made */
	double pooled;	/* of the links: to the pool's hardware tables */
};

static int barrier(void)
{
	return pool_barrier(&pc, bar++, 2, 600000);
}

/* Map (with @flags) and, unless @touch is 0, read one byte per page. */
static int map_touch(int fd, size_t size, int flags, int touch, int morsel,
		     struct sample *s)
{
	struct morsel_obj_stat a = morsel ? obj_stat(fd) : (struct morsel_obj_stat){ 0 }, b;
	long f0 = minflt();
	uint64_t t0 = now_ns();
	volatile unsigned char *m;
	unsigned long sum = 0;
	size_t i;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | flags, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	for (i = 0; touch && i < size; i += PAGE)
		sum += m[i];
	s->us = (double)(now_ns() - t0) / 1000.0;
	s->faults = (double)(minflt() - f0);
	if (morsel) {
		b = obj_stat(fd);
		s->links = (double)(b.links - a.links);
		s->tables = (double)(b.tables - a.tables);
		s->pooled = (double)(b.pool_links - a.pool_links);
	}
	/* The pages were written with their index: read them back. */
	for (i = 0; i < size; i += PAGE)
		if (m[i] != (unsigned char)(i / PAGE)) {
			fprintf(stderr, "mapbench: page %zu reads %u, not %u\n", i / PAGE,
				m[i], (unsigned char)(i / PAGE));
			return -EIO;
		}
	munmap((void *)m, size);
	return (int)(sum & 0);
}

/*
 * Plain pool memory, the data region mapped read-only from /dev/morsel at
 * @off (MORSEL_MMAP_DATA: by 2 MiB as device DAX maps; _PAGES: by 4 KiB):
 * mmap and read one byte every @stride bytes. No protocol, no check of
 * what it reads (other objects' frames).
 */
static int pool_touch(size_t size, uint64_t off, size_t stride, struct sample *s)
{
	long f0 = minflt();
	uint64_t t0 = now_ns();
	volatile unsigned char *m;
	unsigned long sum = 0;
	size_t i;

	m = mmap(NULL, size, PROT_READ, MAP_SHARED, pc.fd, (off_t)off);
	if (m == MAP_FAILED)
		return -errno;
	for (i = 0; i < size; i += stride)
		sum += m[i];
	s->us = (double)(now_ns() - t0) / 1000.0;
	s->faults = (double)(minflt() - f0);
	munmap((void *)m, size);
	return (int)(sum & 0);
}

static void fill(int fd, size_t size)
{
	unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	size_t i;

	if (m == MAP_FAILED)
		return;
	for (i = 0; i < size; i += PAGE)
		m[i] = (unsigned char)(i / PAGE);
	munmap(m, size);
}

/* A child receives @fd over a UNIX socket, maps and touches it. */
static int handoff(int fd, size_t size, int morsel, struct sample *s)
{
	int sv[2], rc = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	pid = fork();
	if (!pid) {
		char cbuf[CMSG_SPACE(sizeof(int))], b;
		struct iovec iov = { &b, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct sample cs = { 0 };
		int got;

		if (recvmsg(sv[1], &mh, 0) != 1)
			_exit(1);
		memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
		rc = map_touch(got, size, 0, 1, morsel, &cs);
		if (write(sv[1], &cs, sizeof(cs)) != sizeof(cs))
			_exit(1);
		_exit(rc ? 2 : 0);
	} else {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 'f';
		struct iovec iov = { &b, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		int st;

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(sv[0], &mh, 0) == 1 && read(sv[0], s, sizeof(*s)) == sizeof(*s))
			rc = 0;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			rc = -EIO;
	}
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of RUNS values (sorted in place). */
static double med(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

static void row(const char *accel, size_t size, const char *what, struct sample *s)
{
	double us[RUNS], f[RUNS], l[RUNS], t[RUNS], pl[RUNS], gib = (double)size / (1 << 30);
	int i;

	for (i = 0; i < RUNS; i++) {
		us[i] = s[i].us;
		f[i] = s[i].faults;
		l[i] = s[i].links;
		t[i] = s[i].tables;
		pl[i] = s[i].pooled;
	}
	printf("%-4s %5zu MiB  %-32s %12.0f us %10.0f faults/GiB %6.0f links (%.0f pool's) %6.0f tables\n",
	       accel, size >> 20, what, med(us), med(f) / gib, med(l), med(pl), med(t));
}

static double med_us(struct sample *s)
{
	double us[RUNS];
	int i;

	for (i = 0; i < RUNS; i++)
		us[i] = s[i].us;
	return med(us);
}

enum {
	MEMFD_POP, POOL_USABLE, EAGER_POOL, EAGER1, EAGER2, MEMFD_TOUCH, POOL_PMD, POOL_PTE,
	FAULT1, LINK_POOL, LINK1, LINK2, HO_MEMFD, HO_MORSEL, NV
};

/*
 * "own": morsel.pool_tables=0, the host's tables (prefilled at a first
 * link). "pool memory": the data region itself, read-only, no protocol.
 */
static const char *const names[NV] = {
	"usable: memfd MAP_POPULATE", "usable: pool memory, 2 MiB PMDs",
	"usable: eager, pool's tables", "usable: eager, own tables, 1st",
	"usable: eager, own tables, 2nd", "touch: memfd", "touch: pool memory, 2 MiB PMDs",
	"touch: pool memory, 4 KiB PTEs", "touch: morsel map=fault", "touch: link, pool's tables",
	"touch: link, own tables, 1st", "touch: link, own tables, 2nd", "handoff: memfd",
	"handoff: morsel link",
};

/* Keep the first error, and say which step it came from. */
static void step(int *err, int rc, int which)
{
	if (rc && !*err) {
		fprintf(stderr, "mapbench: %s: %s\n", names[which], strerror(-rc));
		*err = rc;
	}
}

static int run_size(const char *accel, size_t size, int n)
{
	static struct sample s[NV][RUNS], remote[RUNS];
	char name[32];
	int mfd, fd, keep, r, err = 0;

	snprintf(name, sizeof(name), "map%d", n);
	if (me == 1) {
		barrier();	/* host 0 made and wrote the object */
		for (r = 0; r < RUNS && !err; r++) {
			fd = obj_open(&pc, name);
			err = fd < 0 ? -errno : map_touch(fd, size, 0, 1, 1, &remote[r]);
			close(fd);
		}
		if (err) {
			fprintf(stderr, "mapbench: host 1: %s\n", strerror(-err));
			pc.ctl->flag[8] = 0;
		} else {
			/* Host 0 prints the row: its medians, through the scratch. */
			for (r = 0; r < RUNS; r++)
				pc.ctl->flag[8 + r] = (uint64_t)remote[r].us;
			pc.ctl->flag[11] = (uint64_t)remote[RUNS / 2].faults;
			pc.ctl->flag[12] = (uint64_t)remote[RUNS / 2].links;
			pc.ctl->flag[13] = (uint64_t)remote[RUNS / 2].tables;
			pc.ctl->flag[14] = (uint64_t)remote[RUNS / 2].pooled;
		}
		barrier();
		return err;
	}
	mfd = memfd_create("mapbench", 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)size)) {
		pool_abort(&pc);	/* host 1 waits for nothing */
		return -errno;
	}
	fill(mfd, size);
	fd = obj_create(&pc, name, size);
	if (fd < 0) {
		pool_abort(&pc);
		return -errno;
	}
	fill(fd, size);
	close(fd);	/* pages released: the next open is a host's first */
	for (r = 0; r < RUNS && !err; r++) {
		step(&err, map_touch(mfd, size, MAP_POPULATE, 0, 0, &s[MEMFD_POP][r]), MEMFD_POP);
		step(&err, map_touch(mfd, size, 0, 1, 0, &s[MEMFD_TOUCH][r]), MEMFD_TOUCH);
		step(&err, handoff(mfd, size, 0, &s[HO_MEMFD][r]), HO_MEMFD);
		sysfs_write(MAP_PARAM, "fault");
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 1, 1, &s[FAULT1][r]), FAULT1);
		close(fd);
		/* The host owns nothing of it: mappings link the pool's tables. */
		sysfs_write(MAP_PARAM, "eager");
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 0, 1, &s[EAGER_POOL][r]), EAGER_POOL);
		close(fd);
		sysfs_write(MAP_PARAM, "link");
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 1, 1, &s[LINK_POOL][r]), LINK_POOL);
		close(fd);
		/* The same with tables of the host's own. */
		sysfs_write(POOL_TABLES_PARAM, "0");
		sysfs_write(MAP_PARAM, "eager");
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 0, 1, &s[EAGER1][r]), EAGER1);
		step(&err, map_touch(fd, size, 0, 0, 1, &s[EAGER2][r]), EAGER2);
		close(fd);
		sysfs_write(MAP_PARAM, "link");
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 1, 1, &s[LINK1][r]), LINK1);
		/* The host's tables stay while a process keeps the object open. */
		keep = fd;
		fd = obj_open(&pc, name);
		step(&err, map_touch(fd, size, 0, 1, 1, &s[LINK2][r]), LINK2);
		step(&err, handoff(fd, size, 1, &s[HO_MORSEL][r]), HO_MORSEL);
		close(fd);
		close(keep);
		sysfs_write(POOL_TABLES_PARAM, "1");
	}
	/*
	 * Plain pool memory after every morsel row: in one guest under TCG,
	 * reading the pool through 2 MiB mappings first made the later 4 KiB
	 * reads of the pool slower.
	 */
	for (r = 0; r < RUNS && !err; r++) {
		/* Usable: one read per 2 MiB faults each PMD in. */
		step(&err, pool_touch(size, MORSEL_MMAP_DATA, 2ul << 20, &s[POOL_USABLE][r]),
		     POOL_USABLE);
		step(&err, pool_touch(size, MORSEL_MMAP_DATA, PAGE, &s[POOL_PMD][r]), POOL_PMD);
		step(&err, pool_touch(size, MORSEL_MMAP_DATA_PAGES, PAGE, &s[POOL_PTE][r]),
		     POOL_PTE);
	}
	close(mfd);
	barrier();	/* host 1 maps and touches */
	barrier();
	/* Its frames go back: the next size may need the whole data region. */
	obj_delete(&pc, name);
	if (err) {
		fprintf(stderr, "mapbench: %s\n", strerror(-err));
		return err;
	}
	for (r = 0; r < NV; r++)
		row(accel, size, names[r], s[r]);
	for (r = 0; r < RUNS; r++)
		remote[r] = (struct sample){ (double)pc.ctl->flag[8 + r],
					     (double)pc.ctl->flag[11], (double)pc.ctl->flag[12],
					     (double)pc.ctl->flag[13], (double)pc.ctl->flag[14] };
	if (pc.ctl->flag[8])
		row(accel, size, "touch: link, host 1", remote);
	printf("%-4s %5zu MiB  usable: memfd MAP_POPULATE / morsel eager: %.1fx (pool's tables), %.1fx (own, 1st process), %.1fx (own, 2nd)\n",
	       accel, size >> 20, med_us(s[MEMFD_POP]) / med_us(s[EAGER_POOL]),
	       med_us(s[MEMFD_POP]) / med_us(s[EAGER1]), med_us(s[MEMFD_POP]) / med_us(s[EAGER2]));
	printf("%-4s %5zu MiB  touch: memfd / morsel link: %.1fx (pool's tables), %.1fx (own, 2nd); map=fault / own 1st: %.1fx\n",
	       accel, size >> 20, med_us(s[MEMFD_TOUCH]) / med_us(s[LINK_POOL]),
	       med_us(s[MEMFD_TOUCH]) / med_us(s[LINK2]), med_us(s[FAULT1]) / med_us(s[LINK1]));
	printf("%-4s %5zu MiB  plain pool memory / morsel: usable %.1fx (2 MiB PMDs / eager, pool's tables); touch %.1fx (2 MiB PMDs / link, pool's tables), %.1fx (4 KiB PTEs / map=fault)\n",
	       accel, size >> 20, med_us(s[POOL_USABLE]) / med_us(s[EAGER_POOL]),
	       med_us(s[POOL_PMD]) / med_us(s[LINK_POOL]), med_us(s[POOL_PTE]) / med_us(s[FAULT1]));
	return 0;
}

int main(void)
{
	/*
	 * Each size the pool allows whose memfd fits in half of this guest's
	 * memory (hosts.sh -m for the pool, -r for the RAM); 0: the largest
	 * that fits, in whole 2 MiB chunks, when it is not in the list.
	 */
	static const size_t mib[] = { 16, 64, 256, 1024, 0 };
	size_t fit = (size_t)sysconf(_SC_PHYS_PAGES) * PAGE / 2, last = 0;
	char accel[16];
	struct morsel_obj_stat st;
	size_t max, size;
	int fd, err = 0;
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cmdline_accel(accel, sizeof(accel));
	err = pool_open(&pc);
	if (err || pool_wait_alive(&pc, 3, 60000)) {
		fprintf(stderr, "mapbench: the pool with 2 hosts: %s\n", strerror(-err));
		return 1;
	}
	me = pc.info.host_id;
	if (me > 1)
		return 0;
	/* The pool's largest object (every size is capped by it). */
	fd = me == 0 ? obj_create(&pc, "mapmax", PAGE) : -1;
	st = fd >= 0 ? obj_stat(fd) : (struct morsel_obj_stat){ 0 };
	if (fd >= 0) {
		close(fd);
		obj_delete(&pc, "mapmax");
	}
	pc.ctl->flag[0] = st.max_size ? st.max_size : pc.ctl->flag[0];
	barrier();
	max = pc.ctl->flag[0];
	if (me == 0) {
		printf("MORSEL-RESULT-BEGIN mapbench\n");
		printf("# %s, 2 hosts, median of %d runs; largest object %zu MiB, %zu MiB of RAM per host; one byte read per 4 KiB page\n",
		       accel, RUNS, max >> 20, (size_t)sysconf(_SC_PHYS_PAGES) * PAGE >> 20);
		printf("# coherent memory for page tables: %u bytes per 4 KiB page (authoritative entry and hardware entry)\n",
		       pc.info.table_bytes / 512);
	}
	if (fit < max)
		max = fit;
	max &= ~((2ul << 20) - 1);
	for (i = 0; i < sizeof(mib) / sizeof(mib[0]) && !err; i++) {
		size = mib[i] ? mib[i] << 20 : max;
		if (size > max || size <= last)
			continue;
		err = run_size(accel, size, (int)i);
		last = size;
	}
	if (me == 0)
		printf("MORSEL-RESULT-END mapbench\n");
	return err ? 1 : 0;
}
