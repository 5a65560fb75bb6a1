/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Objects by name, for the tests and benchmarks inside a host: create,
 * open and delete through the pool's /dev/morsel, this host's counters
 * of an object, and the process's minor faults (what a linked mapping
 * saves is counted in them).
 */
#ifndef MORSEL_OBJECT_CLIENT_H
#define MORSEL_OBJECT_CLIENT_H

#include <stdint.h>
#include <linux/morsel.h>
#include "pool_client.h"

/* Flags of every obj_create() (MORSEL_CREATE_*: the coherence mode). */
extern uint32_t obj_create_flags;
/* MORSEL_CREATE_* of "pagecopy", "twindiff" or "plain"; 0 (morsels) otherwise. */
uint32_t obj_coherence_flags(const char *mode);
/* A readable name of an enum morsel_coherence. */
const char *obj_coherence_name(uint32_t coherence);
/* A new object (fd), or -1 with errno; a longer name is cut at 31 bytes. */
int obj_create(struct pool_client *pc, const char *name, uint64_t size);
/* An existing object (fd), or -1 with errno. */
int obj_open(struct pool_client *pc, const char *name);
/* 0 or -errno. */
int obj_delete(struct pool_client *pc, const char *name);
/* The authoritative entry of @page of object @fd; ~0 with errno if it fails. */
uint64_t obj_entry(int fd, uint64_t page);
/* MORSEL_OBJ_STAT of @fd; all zero if it fails. */
struct morsel_obj_stat obj_stat(int fd);
/*
 * What an object's hosts did and moved, from MORSEL_OBJ_STAT: read and
 * write faults, transfers, recalls sent, bytes to and from the pool,
 * pages copied, dirty lines written back. Each host publishes its own in
 * the control page (flag[8 * host ..], up to 8 hosts); one host sums them
 * after a barrier.
 */
#define OBJ_MOVED_N 8
enum { MV_RFAULT, MV_WFAULT, MV_XFER, MV_RECALL, MV_TO, MV_FROM, MV_COPIED, MV_DIRTY };
struct obj_moved {
	uint64_t v[OBJ_MOVED_N];
};
void obj_moved_of(const struct morsel_obj_stat *s, struct obj_moved *m);
void obj_moved_publish(struct pool_client *pc, unsigned int host, const struct obj_moved *m);
void obj_moved_sum(struct pool_client *pc, unsigned int hosts, struct obj_moved *sum);
/* Minor page faults of this process so far (getrusage). */
long minflt(void);

#endif
