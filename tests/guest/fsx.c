// SPDX-License-Identifier: GPL-2.0
/*
 * An fsx-style checker for morselfs (fsx itself is not packaged in Debian
 * 12): random write, read, mmap store, mmap load, truncate, punch and
 * fsync on one file, every result checked against a model in memory (the
 * file's bytes and size). Run on one host, then with the hosts taking
 * turns: every host draws the same operations from the same seed and
 * keeps the same model, and the host whose turn it is performs a batch of
 * them, so each batch starts with the pages owned elsewhere.
 *
 *   fsx [OPS]     (default 10000 per phase)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "guest_job.h"

#define MNT "/mnt/pool"
#define MAX_SIZE (256u << 10)
#define MAX_LEN (12u << 10)
#define BATCH 16
#define TURN_FLAG 20	/* pc.ctl->flag[]: the batch that may run */
#define BARRIER_MS 300000

static struct pool_client pc;
static unsigned int me, nhosts, bar;
static uint8_t model[MAX_SIZE], buf[MAX_SIZE];
static size_t size;
static uint64_t rng;

static void barrier(void)
{
	guest_barrier(&pc, &bar, nhosts, BARRIER_MS);
}

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

enum op { OP_WRITE, OP_READ, OP_MAPWRITE, OP_MAPREAD, OP_TRUNCATE, OP_PUNCH, OP_FSYNC, OP_NR };
static const char *const op_name[] = { "write", "read", "mapwrite", "mapread", "truncate",
				       "punch", "fsync" };

struct step {
	enum op op;
	size_t off, len;
	uint8_t seed;
};

/* Draw the next operation; every host draws the same ones. */
static struct step draw(void)
{
	static const enum op mix[] = { OP_WRITE, OP_WRITE, OP_WRITE, OP_READ, OP_READ, OP_READ,
				       OP_MAPWRITE, OP_MAPWRITE, OP_MAPREAD, OP_MAPREAD,
				       OP_TRUNCATE, OP_PUNCH, OP_FSYNC };
	struct step s = { .op = mix[next() % (sizeof(mix) / sizeof(mix[0]))] };

	s.off = next() % MAX_SIZE;
	s.len = 1 + next() % MAX_LEN;
	if (s.off + s.len > MAX_SIZE)
		s.len = MAX_SIZE - s.off;
	s.seed = (uint8_t)next();
	if (s.op == OP_TRUNCATE)
		s.off = next() % 3 ? next() % MAX_SIZE : 0;
	return s;
}

static uint8_t data(const struct step *s, size_t i)
{
	return (uint8_t)(s->seed + i * 13 + (i >> 9));
}

/* What the step does to the model; for MAPWRITE/PUNCH/READ within the size. */
static void apply(struct step *s)
{
	size_t i;

	switch (s->op) {
	case OP_WRITE:
		for (i = 0; i < s->len; i++)
			model[s->off + i] = data(s, i);
		if (s->off + s->len > size)
			size = s->off + s->len;
		break;
	case OP_MAPWRITE:
		for (i = 0; i < s->len && s->off + i < size; i++)
			model[s->off + i] = data(s, i);
		break;
	case OP_TRUNCATE:
		if (s->off < size)
			memset(model + s->off, 0, size - s->off);
		size = s->off;
		break;
	case OP_PUNCH:
		for (i = 0; i < s->len && s->off + i < size; i++)
			model[s->off + i] = 0;
		break;
	default:
		break;
	}
}

/* Perform @s on @fd and check it; 0 or -1 with a diagnostic. */
static int perform(int fd, const struct step *s, unsigned long n)
{
	size_t i, end = s->off + s->len < size ? s->off + s->len : size, maplen;
	uint8_t *m;
	ssize_t r;

	switch (s->op) {
	case OP_WRITE:
		for (i = 0; i < s->len; i++)
			buf[i] = data(s, i);
		r = pwrite(fd, buf, s->len, (off_t)s->off);
		if (r != (ssize_t)s->len)
			goto fail;
		break;
	case OP_READ:
		r = pread(fd, buf, s->len, (off_t)s->off);
		if (r != (ssize_t)(s->off < size ? end - s->off : 0) ||
		    (r > 0 && memcmp(buf, model + s->off, (size_t)r)))
			goto fail;
		break;
	case OP_MAPWRITE:
	case OP_MAPREAD:
		if (s->off >= size)
			break;
		maplen = (size + 4095) & ~4095ul;
		m = mmap(NULL, maplen, s->op == OP_MAPREAD ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			goto fail;
		if (s->op == OP_MAPWRITE) {
			for (i = s->off; i < end; i++)
				m[i] = data(s, i - s->off);
		} else if (memcmp(m + s->off, model + s->off, end - s->off) ||
			   (size % 4096 && m[maplen - 1])) {
			munmap(m, maplen);
			goto fail;	/* wrong bytes, or not zero past the end */
		}
		munmap(m, maplen);
		break;
	case OP_TRUNCATE:
		if (ftruncate(fd, (off_t)s->off))
			goto fail;
		break;
	case OP_PUNCH:
		if (s->off < size &&
		    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)s->off,
			      (off_t)(end - s->off)))
			goto fail;
		break;
	case OP_FSYNC:
		if (fsync(fd))
			goto fail;
		break;
	default:
		break;
	}
	return 0;
fail:
	tap_diag("op %lu %s off %zu len %zu (size %zu): %s", n, op_name[s->op], s->off, s->len,
		 size, strerror(errno));
	return -1;
}

/* Check the whole file against the model, with read() and a mapping. */
static int check_all(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || (size_t)st.st_size != size)
		return -1;
	return pread(fd, buf, MAX_SIZE, 0) == (ssize_t)size && !memcmp(buf, model, size) ? 0 : -1;
}

/*
 * @ops operations on file @name; with @turns the hosts take batches in
 * turn (all hosts draw and model all of them), else this host alone.
 */
static void run(const char *name, unsigned long ops, int turns)
{
	unsigned long n, failed = 0, mine = 0;
	char path[64];
	struct step s;
	int fd = -1;

	snprintf(path, sizeof(path), MNT "/%s", name);
	memset(model, 0, sizeof(model));
	size = 0;
	rng = 0x9e3779b97f4a7c15ull ^ (turns ? 1 : me + 2);
	if (!turns || me == 0)
		fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0666);
	if (turns) {
		barrier();
		if (me != 0)
			fd = open(path, O_RDWR);
	}
	if (!tap_step(fd >= 0, "open %s", path))
		return;
	for (n = 0; n < ops && failed < 5; n++) {
		unsigned long batch = n / BATCH;
		int my_turn = !turns || batch % nhosts == me;

		if (turns && n % BATCH == 0 && my_turn) {
			while (__atomic_load_n(&pc.ctl->flag[TURN_FLAG], __ATOMIC_ACQUIRE) != batch)
				if (pool_aborted(&pc))
					return;
			/* The others' stores are ours to see from here (read-your-turn). */
			if (check_all(fd)) {
				tap_diag("batch %lu: the file differs from the model on entry", batch);
				failed++;
			}
		}
		s = draw();
		if (my_turn) {
			failed += perform(fd, &s, n) != 0;
			mine++;
		}
		apply(&s);
		if (turns && my_turn && (n % BATCH == BATCH - 1 || n == ops - 1))
			__atomic_store_n(&pc.ctl->flag[TURN_FLAG], batch + 1, __ATOMIC_RELEASE);
	}
	if (failed && turns)
		pool_abort(&pc);	/* the others wait for turns that will not come */
	/* The last batch may be another host's: the end is when it is done. */
	while (turns && !failed &&
	       __atomic_load_n(&pc.ctl->flag[TURN_FLAG], __ATOMIC_ACQUIRE) < (n + BATCH - 1) / BATCH)
		if (pool_aborted(&pc))
			break;
	tap_ok(!failed && !check_all(fd),
	       "%s: %lu operations (%lu here), every result as the model says and the file equal to it at the end",
	       name, n, mine);
	close(fd);
	if (turns)
		barrier();
	if (!turns || me == 0)
		unlink(path);
	if (turns) {
		__atomic_store_n(&pc.ctl->flag[TURN_FLAG], 0, __ATOMIC_RELEASE);
		barrier();
	}
}

int main(int argc, char **argv)
{
	unsigned long ops = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	int host = guest_job_start(&pc, &nhosts);
	char name[32];

	if (host < 0)
		return tap_end();
	me = (unsigned int)host;
	if (guest_mount_morselfs())
		return tap_end();
	snprintf(name, sizeof(name), "fsx-host%u", me);
	run(name, ops, 0);
	barrier();
	if (nhosts > 1)
		run("fsx-turns", ops, 1);
	return tap_end();
}
