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
	return 0;
}

const char *obj_coherence_name(uint32_t coherence)
{
	static const char *const names[] = { "morsels", "page-copy", "twin-diff" };

	return coherence < 3 ? names[coherence] : "unknown";
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
