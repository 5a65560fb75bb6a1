/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the comparing benches (density.c, patterns.c, graph.c) share: the
 * designs compared, as coherence modes of one kernel chosen per object at create;
 * a barrier slot passed again and again by every host of the run; and an
 * object of one mode made, mapped, counted and deleted on every host.
 */
#ifndef MORSEL_COMPARE_H
#define MORSEL_COMPARE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "object_client.h"
#include "pool_client.h"

/*
 * plain: no protocol, the pool's frames mapped writable by every host:
 * what full hardware coherence would give, an upper bound (correct only
 * where the pool is coherent; the stale-cache emulation leaves it alone).
 */
#define COMPARE_MODES 4
static const struct compare_mode {
	unsigned int flags, mode;
	const char *name;
} compare_modes[COMPARE_MODES] = {
	{ 0, MORSEL_COHERENCE_LINES, "morsels" },
	{ MORSEL_CREATE_PAGECOPY, MORSEL_COHERENCE_PAGECOPY, "page-copy" },
	{ MORSEL_CREATE_TWINDIFF, MORSEL_COHERENCE_TWINDIFF, "twin-diff" },
	{ MORSEL_CREATE_PLAIN, MORSEL_COHERENCE_PLAIN, "plain" },
};

/* One bench on one host: who it is, and its barrier slot's passes. */
struct compare {
	struct pool_client pc;
	const char *prog;
	unsigned int me, hosts, slot;
	uint64_t passes;
};

#define compare_fail(c, ...) pool_fail(&(c)->pc, (c)->prog, (c)->me, __VA_ARGS__)

static inline void compare_sync(struct compare *c)
{
	int err = pool_barrier_again(&c->pc, c->slot, c->hosts, &c->passes, 600000);

	if (err)
		compare_fail(c, "barrier pass %llu: %s", (unsigned long long)c->passes,
			     err == -ECANCELED ? "another host failed" : "timed out");
}

/* Host 0 creates @name of @mode, the others open it; every host maps it. */
static inline void *compare_map(struct compare *c, const char *name, size_t bytes,
				const struct compare_mode *mode, int *fd)
{
	void *m;

	obj_create_flags = mode->flags;
	*fd = c->me == 0 ? obj_create(&c->pc, name, bytes) : -1;
	compare_sync(c);
	if (c->me != 0)
		*fd = obj_open(&c->pc, name);
	if (*fd < 0)
		compare_fail(c, "%s %s: %s", c->me ? "open" : "create", name, strerror(errno));
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m == MAP_FAILED)
		compare_fail(c, "mmap %s: %s", name, strerror(errno));
	return m;
}

/*
 * What the first @hosts hosts counted on the object (host 0 gets the sum
 * in @sum), before the unmap: a last close writes back, but not for the
 * run measured. Then unmap, close, and host 0 deletes it.
 */
static inline void compare_done(struct compare *c, const char *name, void *m, size_t bytes,
				int fd, const struct compare_mode *mode, unsigned int hosts,
				struct obj_moved *sum)
{
	struct morsel_obj_stat st = obj_stat(fd);
	struct obj_moved mv;

	if (st.coherence != mode->mode)
		compare_fail(c, "%s: coherence %u, not %u", name, st.coherence, mode->mode);
	obj_moved_of(&st, &mv);
	if (c->me < hosts)
		obj_moved_publish(&c->pc, c->me, &mv);
	compare_sync(c);
	if (c->me == 0)
		obj_moved_sum(&c->pc, hosts, sum);
	munmap(m, bytes);
	close(fd);
	compare_sync(c);
	if (c->me == 0 && obj_delete(&c->pc, name))
		compare_fail(c, "delete %s", name);
}

#endif
