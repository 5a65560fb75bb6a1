// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest TAP tests of record locks on morselfs across 2 hosts: fcntl
 * POSIX locks, OFD locks and flock(), as unmodified programs (SQLite) use
 * them. Host 0 and host 1 act; what one host locks, the other must find
 * locked. Ends with host 1 dying while it holds a lock: host 0's F_SETLKW
 * gets it once the lease recovery released it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest_job.h"

#define MNT "/mnt/pool"
#define FILE_PATH MNT "/locks"
#define BARRIER_MS 120000
#define WAITS "/sys/kernel/morsel/locks/waits"
#define WAKES "/sys/kernel/morsel/locks/wakes"
/* Pool flags of this job (pc.ctl->flag[]). */
#define F_ASLEEP 40	/* host 1's waiter sleeps for the lock */
#define F_RELEASED 41	/* host 0 is about to release it */
#define F_DYING 42	/* host 1 holds its last lock and dies */

static struct pool_client pc;
static unsigned int me, nhosts, bar;

static void barrier(void)
{
	guest_barrier(&pc, &bar, nhosts, BARRIER_MS);
}

static void set_flag(unsigned int i, uint64_t v)
{
	__atomic_store_n(&pc.ctl->flag[i], v, __ATOMIC_RELEASE);
}

static uint64_t flag(unsigned int i)
{
	return __atomic_load_n(&pc.ctl->flag[i], __ATOMIC_ACQUIRE);
}

static int wait_flag(unsigned int i, uint64_t v, unsigned int ms)
{
	uint64_t t0 = now_ns();

	while (flag(i) != v)
		if (now_ns() - t0 > ms * 1000000ull)
			return 0;
		else
			sleep_ms(5);
	return 1;
}

/* fcntl lock @cmd of [@start, @start + @len) (@len 0: to the end). */
static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

static int open_file(void)
{
	return open(FILE_PATH, O_RDWR);
}

/* Exit status of a child that ran @fn; -1 if it did not exit. */
static int child(int (*fn)(int), int arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static off_t child_byte;

/* In a child (another lock owner on this host): F_SETLK write of child_byte. */
static int try_byte(int fd)
{
	return lk(fd, F_SETLK, F_WRLCK, child_byte, 1) ? errno : 0;
}

/* POSIX and OFD locks of one host seen, and enforced, on the other. */
static void conflicts(void)
{
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int fd = open_file(), ofd = open_file(), err;

	if (me == 0)
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 100), "host 0 write-locks bytes 0-99");
	barrier();
	if (me == 1) {
		tap_ok(lk(fd, F_SETLK, F_WRLCK, 50, 1) && errno == EAGAIN,
		       "host 1 cannot write-lock byte 50: EAGAIN (%s)", strerror(errno));
		tap_ok(lk(fd, F_SETLK, F_RDLCK, 99, 1) && errno == EAGAIN,
		       "nor read-lock byte 99: EAGAIN");
		tap_ok(!lk(fd, F_SETLK, F_RDLCK, 100, 100), "host 1 read-locks bytes 100-199");
		err = fcntl(fd, F_GETLK, &q);
		tap_ok(!err && q.l_type == F_WRLCK && q.l_start == 0 && q.l_len == 100 && q.l_pid == 0,
		       "F_GETLK on host 1 reports host 0's write lock 0+100, pid 0 (type %d, %lld+%lld, pid %d)",
		       q.l_type, (long long)q.l_start, (long long)q.l_len, q.l_pid);
		tap_ok(lk(ofd, F_OFD_SETLK, F_WRLCK, 0, 1) && errno == EAGAIN,
		       "an OFD lock on host 1 conflicts with host 0's POSIX lock");
		tap_ok(!lk(ofd, F_OFD_SETLK, F_RDLCK, 150, 1),
		       "an OFD read lock shares with host 1's own read lock");
	}
	barrier();
	if (me == 0) {
		q = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 150, .l_len = 1 };
		err = fcntl(fd, F_GETLK, &q);
		tap_ok(!err && q.l_type == F_RDLCK && q.l_pid == 0,
		       "F_GETLK on host 0 reports host 1's read lock (type %d)", q.l_type);
		tap_ok(!lk(fd, F_SETLK, F_RDLCK, 150, 1), "host 0 shares it with a read lock");
		child_byte = 0;
		tap_ok(child(try_byte, fd) == EAGAIN,
		       "another process on host 0 cannot write-lock what host 0's process holds");
		close(fd);	/* drops every POSIX lock of this process on the file */
		fd = -1;
	}
	barrier();
	if (me == 1) {
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 100), "host 0 closed its file: host 1 write-locks 0-99");
		tap_ok(!lk(fd, F_SETLK, F_UNLCK, 0, 0), "and unlocks everything");
		close(ofd);
		ofd = -1;
	}
	barrier();
	if (me == 0) {
		child_byte = 150;
		tap_ok(child(try_byte, ofd) == 0,
		       "host 1's OFD read lock went with its close: byte 150 is free for a writer on host 0");
	}
	if (fd >= 0)
		close(fd);
	if (ofd >= 0)
		close(ofd);
	barrier();
}

static int setlkw_byte0(int fd)
{
	return lk(fd, F_SETLKW, F_WRLCK, 0, 1) ? errno : 0;
}

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* F_SETLKW with an alarm and no SA_RESTART: the errno. */
static int setlkw_alarm(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	return lk(fd, F_SETLKW, F_WRLCK, 0, 1) ? errno : 0;
}

/* F_SETLKW sleeps until the other host releases, woken by its message. */
static void blocking(void)
{
	int fd = open_file(), st = -1, i;
	long long waits = sysfs_num(WAITS), wakes = sysfs_num(WAKES);
	pid_t pid;

	if (me == 0)
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 1), "host 0 write-locks byte 0");
	barrier();
	if (me == 1) {
		tap_ok(child(setlkw_alarm, fd) == EINTR,
		       "F_SETLKW on host 1 is interrupted by a signal: EINTR");
		waits = sysfs_num(WAITS);
		pid = fork();
		if (pid == 0)
			_exit(setlkw_byte0(fd) || !flag(F_RELEASED) ? 1 : 0);
		for (i = 0; pid > 0 && sysfs_num(WAITS) == waits && i < 12000; i++)
			sleep_ms(5);	/* a minute at most: a child that never sleeps fails */
		set_flag(F_ASLEEP, 1);
		tap_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
		       "F_SETLKW on host 1 slept and returned the lock only after host 0 released it");
		tap_ok(sysfs_num(WAKES) > wakes,
		       "host 1 was woken by a lock-release message (%lld wakes, %lld before)",
		       sysfs_num(WAKES), wakes);
	}
	if (me == 0) {
		tap_step(wait_flag(F_ASLEEP, 1, BARRIER_MS), "host 1 sleeps for byte 0");
		set_flag(F_RELEASED, 1);
		tap_ok(!lk(fd, F_SETLK, F_UNLCK, 0, 1), "host 0 unlocks byte 0");
	}
	barrier();
	close(fd);
}

/* A counter in the file, incremented under the lock from both hosts. */
static void exclusion(void)
{
	const unsigned int rounds = 100;
	int fd = open_file(), bad = 0;
	unsigned int i;
	uint64_t v = 0;

	if (me == 0)
		tap_ok(pwrite(fd, &v, sizeof(v), 4096) == sizeof(v), "counter at 4096 set to 0");
	barrier();
	for (i = 0; i < rounds && me < 2; i++) {
		bad |= lk(fd, F_SETLKW, F_WRLCK, 4096, 8) != 0;
		bad |= pread(fd, &v, sizeof(v), 4096) != sizeof(v);
		v++;
		bad |= pwrite(fd, &v, sizeof(v), 4096) != sizeof(v);
		bad |= lk(fd, F_SETLK, F_UNLCK, 4096, 8) != 0;
	}
	barrier();
	if (me < 2) {
		tap_ok(!bad, "%u locked read-increment-writes, no call failed", rounds);
		v = 0;
		bad = pread(fd, &v, sizeof(v), 4096) != sizeof(v);
		tap_ok(!bad && v == 2 * rounds,
		       "the counter is exactly %u (%llu): no increment lost", 2 * rounds,
		       (unsigned long long)v);
	}
	barrier();
	close(fd);
}

static int flock_nb(int fd)
{
	return flock(fd, LOCK_SH | LOCK_NB) ? errno : 0;
}

/* flock() across hosts; independent of fcntl locks, as on Linux. */
static void whole_file(void)
{
	int fd = open_file();

	if (me == 0)
		tap_ok(!flock(fd, LOCK_EX), "host 0: flock(LOCK_EX)");
	barrier();
	if (me == 1) {
		tap_ok(flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK,
		       "host 1: flock(LOCK_EX | LOCK_NB) EWOULDBLOCK");
		tap_ok(child(flock_nb, fd) == EWOULDBLOCK, "and LOCK_SH | LOCK_NB too");
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 1) && !lk(fd, F_SETLK, F_UNLCK, 0, 1),
		       "an fcntl lock is not held up by a flock lock");
	}
	barrier();
	if (me == 0)
		tap_ok(!flock(fd, LOCK_UN), "host 0: flock(LOCK_UN)");
	barrier();
	if (me == 1)
		tap_ok(!flock(fd, LOCK_SH | LOCK_NB), "host 1: flock(LOCK_SH | LOCK_NB) now");
	if (me == 0)
		tap_ok(!flock(fd, LOCK_SH | LOCK_NB), "host 0: flock(LOCK_SH | LOCK_NB) beside it");
	barrier();
	/* A conversion that meets a conflict gives up the lock held, as on Linux. */
	if (me == 1)
		tap_ok(flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK,
		       "host 1: LOCK_EX | LOCK_NB over both shared locks: EWOULDBLOCK");
	barrier();
	if (me == 0) {
		tap_ok(!flock(fd, LOCK_EX | LOCK_NB),
		       "host 0 converts to LOCK_EX: host 1's failed conversion dropped its LOCK_SH");
		close(fd);	/* a flock lock goes with its file */
		fd = -1;
	}
	barrier();
	if (me == 1) {
		tap_ok(!flock(fd, LOCK_EX | LOCK_NB), "host 0 closed its file: host 1 gets LOCK_EX");
		tap_ok(!flock(fd, LOCK_UN), "and LOCK_UN");
	}
	barrier();
	if (fd >= 0)
		close(fd);
}

/* The table is finite: ENOLCK, and unlocking needs no room. */
static void table_full(void)
{
	int fd = open_file(), err = 0;
	unsigned int i;

	if (me == 0) {
		for (i = 0; i < 1000; i++) {
			if (lk(fd, F_SETLK, F_RDLCK, 2 * i, 1)) {
				err = errno;
				break;
			}
		}
		tap_ok(err == ENOLCK && i > 128 && i <= 256,
		       "lock %u of separate bytes fails with ENOLCK: the pool's table is full (%s)",
		       i, strerror(err));
		tap_ok(!lk(fd, F_SETLK, F_UNLCK, 0, 0), "unlocking them all works on a full table");
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 0), "and the file can be locked again");
	}
	close(fd);
	barrier();
}

/* Host 1 dies holding a lock; host 0's F_SETLKW gets it from the lease recovery. */
static void dead_holder(void)
{
	int fd = open_file(), pfd, err;
	uint64_t t0;

	if (me == 1) {
		tap_ok(!lk(fd, F_SETLK, F_WRLCK, 0, 0), "host 1 write-locks the whole file");
		tap_diag("host 1 crashes holding it");
		set_flag(F_DYING, 1);
		tap_end();
		sleep_ms(50);
		pfd = open("/proc/sysrq-trigger", O_WRONLY);
		if (pfd >= 0 && write(pfd, "c", 1) == 1)
			sleep_ms(10000);
		exit(1);
	}
	if (me == 0) {
		tap_step(wait_flag(F_DYING, 1, BARRIER_MS), "host 1 holds the lock and dies");
		tap_ok(lk(fd, F_SETLK, F_WRLCK, 0, 1) && errno == EAGAIN,
		       "host 0 finds the lock held");
		alarm(pc.info.lease_ms / 1000 + 60);	/* a bound, not a measurement */
		t0 = now_ns();
		err = lk(fd, F_SETLKW, F_WRLCK, 0, 0) ? errno : 0;
		alarm(0);
		tap_ok(!err, "host 0's F_SETLKW returns the lock once host 1 is declared dead (%s, %llu ms)",
		       strerror(err), (unsigned long long)((now_ns() - t0) / 1000000));
		tap_ok(!lk(fd, F_SETLK, F_UNLCK, 0, 0), "and unlocks it");
		close(fd);
		tap_ok(!unlink(FILE_PATH), "the file is removed");
	}
}

int main(void)
{
	int host = guest_job_start(&pc, &nhosts), fd;

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	if (guest_mount_morselfs())
		return tap_end();
	if (me == 0) {
		fd = open(FILE_PATH, O_CREAT | O_RDWR, 0666);
		tap_step(fd >= 0 && !ftruncate(fd, 8192), "host 0 creates " FILE_PATH);
		close(fd);
	}
	barrier();
	conflicts();
	blocking();
	exclusion();
	whole_file();
	table_full();
	dead_holder();
	return tap_end();
}
