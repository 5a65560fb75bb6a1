// SPDX-License-Identifier: GPL-2.0
/* Objects by name: see object_client.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include "object_client.h"

static void set_name(char dst[32], const char *name)
{
	size_t n = strnlen(name, 31);

	memcpy(dst, name, n);
	dst[n] = 0;
}

uint32_t obj_create_flags;

uint32_t obj_coherence_flags(const char *mode)
{
	if (!strcmp(mode, "pagecopy"))
		return MORSEL_CREATE_PAGECOPY;
	if (!strcmp(mode, "twindiff"))
		return MORSEL_CREATE_TWINDIFF;
	if (!strcmp(mode, "plain"))
		return MORSEL_CREATE_PLAIN;
	return 0;
}

const char *obj_coherence_name(uint32_t coherence)
{
	static const char *const names[] = { "morsels", "page-copy", "twin-diff", "plain" };

	return coherence < 4 ? names[coherence] : "unknown";
}

int obj_create(struct pool_client *pc, const char *name, uint64_t size)
{
	struct morsel_create c = { .size = size, .flags = obj_create_flags };

	set_name(c.name, name);
	return ioctl(pc->fd, MORSEL_IOC_CREATE, &c);
}

int obj_open(struct pool_client *pc, const char *name)
{
	struct morsel_open o = { 0 };

	set_name(o.name, name);
	return ioctl(pc->fd, MORSEL_IOC_OPEN, &o);
}

int obj_delete(struct pool_client *pc, const char *name)
{
	struct morsel_open o = { 0 };

	set_name(o.name, name);
	return ioctl(pc->fd, MORSEL_IOC_DELETE, &o) ? -errno : 0;
}

uint64_t obj_entry(int fd, uint64_t page)
{
	uint64_t e = ~0ull;
	struct morsel_entries req = { .first = page,
				      .count = 1,
				      .entries = (uintptr_t)&e };

	return ioctl(fd, MORSEL_OBJ_ENTRIES, &req) ? ~0ull : e;
}

struct morsel_obj_stat obj_stat(int fd)
{
	struct morsel_obj_stat st = { 0 };

	if (ioctl(fd, MORSEL_OBJ_STAT, &st))
		memset(&st, 0, sizeof(st));
	return st;
}

long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

void obj_moved_of(const struct morsel_obj_stat *s, struct obj_moved *m)
{
	m->v[0] = s->read_faults;
	m->v[1] = s->write_faults;
	m->v[2] = s->transfers;
	m->v[3] = s->recalls_sent;
	m->v[4] = s->bytes_to_pool;
	m->v[5] = s->bytes_from_pool;
	m->v[6] = s->pages_copied;
	m->v[7] = s->lines_dirty;
}

void obj_moved_publish(struct pool_client *pc, unsigned int host, const struct obj_moved *m)
{
	unsigned int i;

	for (i = 0; i < OBJ_MOVED_N; i++)
		__atomic_store_n(&pc->ctl->flag[host * OBJ_MOVED_N + i], m->v[i], __ATOMIC_RELEASE);
}

void obj_moved_sum(struct pool_client *pc, unsigned int hosts, struct obj_moved *sum)
{
	unsigned int h, i;

	memset(sum, 0, sizeof(*sum));
	for (h = 0; h < hosts && (h + 1) * OBJ_MOVED_N <= 64; h++)
		for (i = 0; i < OBJ_MOVED_N; i++)
			sum->v[i] += __atomic_load_n(&pc->ctl->flag[h * OBJ_MOVED_N + i],
						     __ATOMIC_ACQUIRE);
}
