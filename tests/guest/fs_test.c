// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest TAP tests of morselfs, the pool's objects as files, on 2 hosts
 * (host 0 and host 1 act, others only keep the barriers); identical in
 * normal and stale-cache mode. Every host mounts the file system at
 * /mnt/pool; what one host does through a file, the other checks through
 * another interface (read() against mmap, stat against readdir), since
 * one coherent file is the point.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest_job.h"

#define PAGE 4096ul
#define MNT "/mnt/pool"
#define MORSELFS_MAGIC 0x4d4f5246
#define BARRIER_MS 120000

static struct pool_client pc;
static unsigned int me, nhosts, bar = 100;

static void barrier(void)
{
	tap_step(!pool_barrier(&pc, bar, nhosts, BARRIER_MS), "barrier %u: %u hosts", bar,
		 nhosts);
	bar++;
}

static uint8_t pat(unsigned int seed, size_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 12));
}

/* Read all of @path with read(): the bytes, or -1. */
static ssize_t slurp(const char *path, uint8_t *buf, size_t max)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)got < max && (n = read(fd, buf + got, max - got)) > 0)
		got += n;
	close(fd);
	return n < 0 ? -1 : got;
}

static int listed(const char *name)
{
	struct dirent *d;
	DIR *dir = opendir(MNT);
	int found = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		found |= !strcmp(d->d_name, name);
	closedir(dir);
	return found;
}

/* write() on host 0, read() and mmap on host 1, an mmap store back. */
static void write_then_read(void)
{
	const size_t size = 3 * PAGE + 1000;
	uint8_t *buf = malloc(size), *m;
	size_t i, bad = 0;
	struct stat st;
	ssize_t n;
	int fd;

	if (me == 0) {
		for (i = 0; i < size; i++)
			buf[i] = pat(1, i);
		fd = open(MNT "/a.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
		n = fd >= 0 ? write(fd, buf, size) : -1;
		tap_ok(n == (ssize_t)size, "host 0 creates a.txt and writes %zu bytes (%zd: %s)",
		       size, n, n < 0 ? strerror(errno) : "ok");
		tap_ok(fd >= 0 && !fsync(fd), "fsync of a.txt");
		if (fd >= 0)
			close(fd);
	}
	barrier();
	if (me == 1) {
		tap_ok(!stat(MNT "/a.txt", &st) && st.st_size == (off_t)size &&
			       (st.st_mode & 07777) == 0644 && S_ISREG(st.st_mode) && st.st_uid == 0,
		       "host 1 sees a.txt: %lld bytes, mode %o, uid %u", (long long)st.st_size,
		       st.st_mode & 07777, st.st_uid);
		tap_ok(listed("a.txt") == 1, "host 1 lists a.txt in the directory");
		memset(buf, 0, size);
		n = slurp(MNT "/a.txt", buf, size + 100);
		for (i = 0; n == (ssize_t)size && i < size; i++)
			bad += buf[i] != pat(1, i);
		tap_ok(n == (ssize_t)size && !bad, "host 1 reads host 0's write() with read(): %zd bytes, %zu bad",
		       n, bad);
		fd = open(MNT "/a.txt", O_RDWR);
		m = fd >= 0 ? mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) :
			      MAP_FAILED;
		for (i = 0, bad = 0; m != MAP_FAILED && i < size; i++)
			bad += m[i] != pat(1, i);
		tap_ok(m != MAP_FAILED && !bad, "host 1 reads it through mmap: %zu bad", bad);
		if (m != MAP_FAILED) {
			memset(m + PAGE, 0xab, 100);	/* a store, on page 1 */
			munmap(m, 4 * PAGE);
		}
		if (fd >= 0)
			close(fd);
	}
	barrier();
	if (me == 0) {
		n = slurp(MNT "/a.txt", buf, size);
		for (i = 0; n == (ssize_t)size && i < size; i++)
			bad += buf[i] != (i >= PAGE && i < PAGE + 100 ? 0xab : pat(1, i));
		tap_ok(n == (ssize_t)size && !bad,
		       "host 0 reads host 1's mmap store with read(): %zu bad bytes", bad);
	}
	barrier();
	free(buf);
}

/* Both hosts write alternate 1000-byte records of one file, then read all. */
static void interleaved(void)
{
	const size_t rec = 1000, nrec = 40, size = rec * nrec;
	uint8_t *buf = malloc(size);
	size_t r, i, bad = 0;
	ssize_t n;
	int fd, err = 0;

	if (me == 0) {
		fd = open(MNT "/rec", O_CREAT | O_RDWR, 0644);
		tap_step(fd >= 0, "create rec");
		if (fd >= 0)
			close(fd);
	}
	barrier();
	fd = open(MNT "/rec", O_RDWR);
	for (r = me; me < 2 && fd >= 0 && r < nrec; r += 2) {
		for (i = 0; i < rec; i++)
			buf[i] = pat((unsigned int)r, i);
		if (pwrite(fd, buf, rec, (off_t)(r * rec)) != (ssize_t)rec)
			err = errno ?: EIO;
	}
	if (me < 2)
		tap_ok(fd >= 0 && !err, "host %u pwrites its %zu records (%s)", me, nrec / 2,
		       strerror(err));
	barrier();
	n = fd >= 0 ? pread(fd, buf, size, 0) : -1;
	for (r = 0; n == (ssize_t)size && r < nrec; r++)
		for (i = 0; i < rec; i++)
			bad += buf[r * rec + i] != pat((unsigned int)r, i);
	tap_ok(n == (ssize_t)size && !bad, "every record of both hosts reads back: %zd bytes, %zu bad",
	       n, bad);
	if (fd >= 0)
		close(fd);
	barrier();
	free(buf);
}

/* Sparse growth, truncate, punch: sizes and zeros as another host sees them. */
static void sizes_and_holes(void)
{
	uint8_t buf[PAGE];
	struct stat st;
	size_t i, bad = 0;
	int fd = open(MNT "/a.txt", O_RDWR);

	if (me == 0 && fd >= 0) {
		tap_ok(pwrite(fd, "end", 3, 10 * PAGE) == 3, "host 0 writes 3 bytes at 40 KiB");
		tap_ok(!ftruncate(fd, 2 * PAGE + 10), "host 0 truncates to 8202 bytes... then");
		tap_ok(pwrite(fd, "end", 3, 10 * PAGE) == 3, "... writes at 40 KiB again");
	}
	barrier();
	if (me == 1 && fd >= 0) {
		tap_ok(!fstat(fd, &st) && st.st_size == (off_t)(10 * PAGE + 3),
		       "host 1 sees the size 40963 (%lld)", (long long)st.st_size);
		memset(buf, 1, sizeof(buf));
		tap_ok(pread(fd, buf, PAGE, 5 * PAGE) == (ssize_t)PAGE, "host 1 reads the hole");
		for (i = 0; i < PAGE; i++)
			bad += buf[i] != 0;
		tap_ok(!bad, "the hole reads as zeros (%zu non-zero)", bad);
		tap_ok(pread(fd, buf, PAGE, 2 * PAGE) == (ssize_t)PAGE, "host 1 reads page 2");
		for (i = 0, bad = 0; i < PAGE; i++)
			bad += buf[i] != (i < 10 ? pat(1, 2 * PAGE + i) : 0);
		tap_ok(!bad, "the truncated tail of page 2 reads as zeros, its head as written (%zu bad)",
		       bad);
		tap_ok(!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 2 * PAGE),
		       "host 1 punches bytes 100..8292 (%s)", strerror(errno));
		tap_ok(!fstat(fd, &st) && st.st_size == (off_t)(10 * PAGE + 3),
		       "the punch keeps the size");
		tap_ok(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, PAGE) && errno == EOPNOTSUPP,
		       "collapse range is refused with EOPNOTSUPP");
	}
	barrier();
	if (me == 0 && fd >= 0) {
		uint8_t all[3 * PAGE];

		tap_ok(pread(fd, all, sizeof(all), 0) == (ssize_t)sizeof(all), "host 0 reads 12 KiB");
		for (i = 0, bad = 0; i < sizeof(all); i++) {
			uint8_t want = i >= 100 && i < 100 + 2 * PAGE ? 0 :
				       i < 2 * PAGE + 10	      ? (i >= PAGE && i < PAGE + 100 ?
									 0xab :
									 pat(1, i)) :
									0;

			bad += all[i] != want;
		}
		tap_ok(!bad, "host 0 sees host 1's punch: zeros in it, data around it (%zu bad)", bad);
	}
	if (fd >= 0)
		close(fd);
	barrier();
}

/* rename and unlink on one host, as the other's lookups and readdir see them. */
static void names(void)
{
	void *m = MAP_FAILED;
	struct stat st;
	int fd = -1;

	if (me == 1)
		tap_ok(!stat(MNT "/a.txt", &st), "host 1 looks up a.txt (a cached dentry now)");
	barrier();
	if (me == 0)
		tap_ok(!rename(MNT "/a.txt", MNT "/b.txt"), "host 0 renames a.txt to b.txt (%s)",
		       strerror(errno));
	barrier();
	if (me == 1) {
		tap_ok(stat(MNT "/a.txt", &st) && errno == ENOENT,
		       "host 1: a.txt is gone (%s)", strerror(errno));
		tap_ok(!stat(MNT "/b.txt", &st) && st.st_size == (off_t)(10 * PAGE + 3),
		       "host 1: b.txt is the renamed file");
		tap_ok(listed("b.txt") == 1 && listed("a.txt") == 0, "host 1 lists b.txt, not a.txt");
		fd = open(MNT "/b.txt", O_RDWR);
		m = fd >= 0 ? mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
		tap_ok(m != MAP_FAILED, "host 1 maps b.txt");
	}
	barrier();
	if (me == 0) {
		tap_ok(unlink(MNT "/b.txt") && errno == EBUSY,
		       "host 0 cannot unlink b.txt while host 1 maps it: EBUSY (%s)", strerror(errno));
		tap_ok(rename(MNT "/rec", MNT "/b.txt") && errno == EBUSY,
		       "nor rename over it: EBUSY (%s)", strerror(errno));
	}
	barrier();
	if (m != MAP_FAILED)
		munmap(m, PAGE);
	if (fd >= 0)
		close(fd);
	barrier();
}

/* What morselfs does not do, and says so. */
static void refusals(void)
{
	int fd;

	if (me != 0)
		return;
	fd = open(MNT "/abcdefghijabcdefghijabcdefghijabc", O_CREAT | O_RDWR, 0644);
	tap_ok(fd < 0 && errno == ENAMETOOLONG, "a 33-byte name: ENAMETOOLONG (%s)", strerror(errno));
	fd = open(MNT "/a b", O_CREAT | O_RDWR, 0644);
	tap_ok(fd < 0 && errno == EINVAL, "a name with a space: EINVAL (%s)", strerror(errno));
	tap_ok(mkdir(MNT "/d", 0755) && errno == EPERM, "mkdir: EPERM (%s)", strerror(errno));
	tap_ok(link(MNT "/rec", MNT "/rec2") && errno == EPERM, "link: EPERM (%s)", strerror(errno));
	tap_ok(symlink("rec", MNT "/sym") && errno == EPERM, "symlink: EPERM (%s)", strerror(errno));
	fd = open(MNT "/rec", O_RDWR | O_DIRECT);
	tap_ok(fd < 0 && errno == EINVAL, "O_DIRECT: EINVAL (%s)", strerror(errno));
	fd = open(MNT "/rec", O_RDWR);
	tap_ok(fd >= 0 && mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
		       errno == EINVAL,
	       "MAP_PRIVATE: EINVAL (%s)", strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = open(MNT "/rec", O_CREAT | O_EXCL | O_RDWR, 0644);
	tap_ok(fd < 0 && errno == EEXIST, "O_EXCL on an existing file: EEXIST");
	fd = open(MNT "/nothere", O_RDWR);
	tap_ok(fd < 0 && errno == ENOENT, "a missing file: ENOENT");
}

/* Does /proc/mounts show @opt for morselfs? */
static int mounts_show(const char *opt)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	int shown = 0;

	while (f && fgets(line, sizeof(line), f))
		shown |= strstr(line, "morselfs") && strstr(line, opt);
	if (f)
		fclose(f);
	return shown;
}

/*
 * coherence= chooses the mode of the files created from then on: host 0
 * remounts with page-copy, creates a file, and host 1 sees it as such; a
 * mode that does not exist is refused and changes nothing; plain too.
 */

static void coherence_option(void)
{
	struct morsel_obj_stat st = { .coherence = ~0u };
	int fd, err;

	if (me == 0) {
		err = mount("none", MNT, "morselfs", MS_REMOUNT, "coherence=pagecopy");
		tap_ok(!err, "remount -o coherence=pagecopy (%s)", err ? strerror(errno) : "ok");
		fd = open(MNT "/pc", O_CREAT | O_RDWR, 0644);
		tap_ok(fd >= 0 && !ioctl(fd, MORSEL_OBJ_STAT, &st) &&
			       st.coherence == MORSEL_COHERENCE_PAGECOPY,
		       "a file created then is a page-copy object (%u)", st.coherence);
		if (fd >= 0)
			close(fd);
		tap_ok(mounts_show("coherence=pagecopy"), "/proc/mounts shows coherence=pagecopy");
		err = mount("none", MNT, "morselfs", MS_REMOUNT, "coherence=magic");
		tap_ok(err && errno == EINVAL, "coherence=magic: EINVAL (%s)", strerror(errno));
		err = mount("none", MNT, "morselfs", MS_REMOUNT, "coherence=plain");
		fd = err ? -1 : open(MNT "/pl", O_CREAT | O_RDWR, 0644);
		err = fd < 0 || ioctl(fd, MORSEL_OBJ_STAT, &st) || unlink(MNT "/pl");
		tap_ok(!err && st.coherence == MORSEL_COHERENCE_PLAIN,
		       "coherence=plain: a file created then is a plain object (%u)", st.coherence);
		if (fd >= 0)
			close(fd);
		tap_ok(mounts_show("coherence=plain"), "/proc/mounts shows coherence=plain");
		err = mount("none", MNT, "morselfs", MS_REMOUNT, "coherence=morsels");
		tap_ok(!err, "remount -o coherence=morsels (%s)", err ? strerror(errno) : "ok");
	}
	barrier();
	if (me == 1) {
		fd = open(MNT "/pc", O_RDWR);
		tap_ok(fd >= 0 && !ioctl(fd, MORSEL_OBJ_STAT, &st) &&
			       st.coherence == MORSEL_COHERENCE_PAGECOPY,
		       "host 1 sees host 0's page-copy file as one (%u)", st.coherence);
		if (fd >= 0)
			close(fd);
	}
	barrier();
	if (me == 0)
		tap_ok(!unlink(MNT "/pc"), "unlink it");
}

/*
 * Host 0 fills the directory, then the data region (the job runs on a
 * 64 MiB pool): ENOSPC both times, and everything comes back on unlink.
 */
static void full(void)
{
	static char chunk[1 << 20];
	unsigned long long written = 0;
	struct statfs before, during, after = {};
	unsigned int made = 0, i;
	char path[64];
	ssize_t n = 0;
	int fd, err = 0;

	if (me != 0)
		return;
	statfs(MNT, &before);
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), MNT "/full%02u", i);
		fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0) {
			err = errno;
			break;
		}
		close(fd);
		made++;
	}
	tap_ok(err == ENOSPC && made == before.f_ffree,
	       "a full directory: create %u fails with ENOSPC (%s; %llu names were free)", made + 1,
	       strerror(err), (unsigned long long)before.f_ffree);
	for (i = 0; i < made; i++) {
		snprintf(path, sizeof(path), MNT "/full%02u", i);
		unlink(path);
	}
	memset(chunk, 0xab, sizeof(chunk));
	fd = open(MNT "/big", O_CREAT | O_RDWR, 0644);
	while (fd >= 0 && written < (1ull << 32) &&
	       (n = pwrite(fd, chunk, sizeof(chunk), (off_t)written)) > 0)
		written += (unsigned long long)n;
	err = n < 0 ? errno : 0;
	statfs(MNT, &during);
	tap_ok(fd >= 0 && err == ENOSPC && during.f_bfree == 0 &&
		       written + sizeof(chunk) >= before.f_bfree * PAGE,
	       "a full data region: write fails with ENOSPC after %llu MiB (%llu frames were free, %llu are)",
	       written >> 20, (unsigned long long)before.f_bfree,
	       (unsigned long long)during.f_bfree);
	if (fd >= 0)
		close(fd);
	err = unlink(MNT "/big") || statfs(MNT, &after);
	tap_ok(!err && after.f_bfree == before.f_bfree && after.f_ffree == before.f_ffree,
	       "unlink gives every frame and name back (%llu frames, %llu names free)",
	       (unsigned long long)after.f_bfree, (unsigned long long)after.f_ffree);
}

/* Can uid @uid open @path with @flags? 0 or the errno, from a child. */
static int open_as(uid_t uid, const char *path, int flags)
{
	int status, fd;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(100);
		fd = open(path, flags);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Mode and owner set on one host are enforced on the other. */
static void permissions(void)
{
	struct stat st;
	int fd, err;

	if (me == 0) {
		fd = open(MNT "/secret", O_CREAT | O_RDWR, 0600);
		tap_ok(fd >= 0 && !fchown(fd, 1000, 1000), "host 0 creates secret, owner 1000");
		if (fd >= 0)
			close(fd);
	}
	barrier();
	if (me == 1) {
		tap_ok(!stat(MNT "/secret", &st) && st.st_uid == 1000 && st.st_gid == 1000 &&
			       (st.st_mode & 0777) == 0600,
		       "host 1 sees owner 1000:1000, mode 600");
		tap_ok(open_as(2000, MNT "/secret", O_RDONLY) == EACCES,
		       "host 1: uid 2000 may not read it (EACCES)");
		err = open_as(1000, MNT "/secret", O_RDWR);
		tap_ok(!err, "host 1: uid 1000 may (%s)", strerror(err));
	}
	barrier();
	if (me == 0)
		tap_ok(!chmod(MNT "/secret", 0644), "host 0: chmod 644");
	barrier();
	if (me == 1) {
		err = open_as(2000, MNT "/secret", O_RDONLY);
		tap_ok(!err, "host 1: now uid 2000 may read (%s)", strerror(err));
		tap_ok(open_as(2000, MNT "/secret", O_RDWR) == EACCES, "but not write (EACCES)");
		tap_ok(open_as(2000, MNT "/nope", O_CREAT | O_RDWR) == 0,
		       "uid 2000 may create a file (the directory is like /tmp)");
		tap_ok(!stat(MNT "/nope", &st) && st.st_uid == 2000, "owned by 2000");
	}
	barrier();
}

/* Host 0 removes every file; host 1 finds the directory empty. */
static void cleanup(void)
{
	static const char *const names[] = { "b.txt", "rec", "secret", "nope" };
	char path[64];
	struct stat st;
	unsigned int i;
	int left = 0;

	for (i = 0; me == 0 && i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), MNT "/%s", names[i]);
		tap_ok(!unlink(path), "host 0 unlinks %s (%s)", names[i], strerror(errno));
	}
	barrier();
	for (i = 0; me == 1 && i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), MNT "/%s", names[i]);
		left += listed(names[i]) != 0 || !stat(path, &st);
	}
	if (me == 1)
		tap_ok(!left, "host 1: none of them is listed or found (%d left)", left);
}

int main(void)
{
	struct statfs sf;
	int host = guest_job_start(&pc, &nhosts), err;

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	mkdir("/mnt", 0755);
	mkdir(MNT, 0755);
	err = mount("none", MNT, "morselfs", 0, NULL);
	if (!tap_step(!err, "mount -t morselfs none " MNT " (%s)", strerror(errno)))
		return tap_end();
	tap_ok(!statfs(MNT, &sf) && sf.f_type == MORSELFS_MAGIC && sf.f_bsize == PAGE &&
		       sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks && sf.f_namelen == 31,
	       "statfs: %llu of %llu frames free, %llu of %llu names", (unsigned long long)sf.f_bfree,
	       (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_ffree,
	       (unsigned long long)sf.f_files);
	barrier();
	write_then_read();
	interleaved();
	sizes_and_holes();
	names();
	refusals();
	coherence_option();
	full();
	barrier();
	permissions();
	cleanup();
	barrier();
	tap_ok(!umount(MNT), "umount");
	return tap_end();
}
