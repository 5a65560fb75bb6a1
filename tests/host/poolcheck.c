// SPDX-License-Identifier: GPL-2.0
/*
 * poolcheck: check a pool file's invariants from the host side once its
 * hosts are gone, and repair what a host that died can leave behind.
 *
 *   poolcheck FILE           report; exit 0 if consistent, 1 if not
 *   poolcheck FILE repair    the same, then free leaked frames and page
 *                            tables, zero the hole table, and clear
 *                            what hosts that are not alive still hold in
 *                            the directory, free deleted objects that only
 *                            they had open (refused while a host is alive);
 *                            exit 1 if it had anything to repair
 *   poolcheck FILE leak      mark the first free frame in use, referenced
 *                            by no page (the test of the checker itself)
 *   poolcheck FILE leaktable the same with a page table
 *
 * Invariants (a host is live if its registry state is ALIVE):
 *  - the superblock is a formatted pool's, its regions inside the file;
 *  - the directory lock is free or held by a live host;
 *  - every page table is the hole (0, all zero), in one chunk of one live
 *    or deleted-but-open object, or free: none in two chunks, none in use
 *    by nobody;
 *  - a live object's views and mapped bits name live hosts only (a deleted
 *    object that no live host has open is reported: the next join frees
 *    it); its coherence mode is one the kernel knows;
 *  - every entry of a live object is a valid MRSW state (ownership.c), and
 *    its hardware entry (pooltable.c) is 0 or shows it SHARED, read-only,
 *    at its frame; a chunk is linked by live hosts only;
 *  - every frame is referenced by exactly one entry of a live or deleted-
 *    but-open object, or by none and free in the frame bitmap.
 * Entries that still name a host that is gone are reported, not refused:
 * the next fault on such a page recovers it (recall.c).
 *
 * The layout comes from the kernel's own definition, mm/morsel/layout.h,
 * compiled with tests/host/kshim for the kernel's types.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "layout.h"

struct pool {
	unsigned char *base;
	size_t size;
	struct morsel_sb *sb;
	uint32_t live;		/* hosts in state ALIVE */
};

static unsigned long errors;

__attribute__((format(printf, 1, 2))) static void bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("poolcheck: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	errors++;
}

/*
 * The record-lock table (filelock.c): every lock well-formed and held by a
 * host that is alive (a host that leaves or is swept drops its own); a
 * lock of a deleted object is free, whatever it says.
 */
static void check_locks(struct pool *p, struct morsel_dir *d, bool repair)
{
	struct morsel_locks *t = &d->locks;
	unsigned int i, held = 0;

	for (i = 0; i < MORSEL_MAX_LOCKS; i++) {
		struct morsel_lock_rec *r = &t->rec[i];
		struct morsel_obj_entry *o;

		if (!r->obj)
			continue;
		if (r->obj > MORSEL_MAX_OBJECTS) {
			bad("record lock %u: object %u beyond the directory", i, r->obj - 1);
			goto clear;
		}
		o = &d->obj[r->obj - 1];
		if (o->state != MORSEL_OBJ_LIVE || o->gen != r->gen)
			continue;
		if ((r->type != F_RDLCK && r->type != F_WRLCK) ||
		    (r->kind != MORSEL_LOCK_POSIX && r->kind != MORSEL_LOCK_FLOCK) ||
		    r->start > r->end || r->host >= MORSEL_MAX_HOSTS) {
			bad("record lock %u of object %u: malformed (type %u kind %u %llu-%llu host %u)",
			    i, r->obj - 1, r->type, r->kind, (unsigned long long)r->start,
			    (unsigned long long)r->end, r->host);
			goto clear;
		}
		if (!(p->live & (1u << r->host))) {
			bad("record lock %u of object %u '%.*s' held by host %u, which is not alive",
			    i, r->obj - 1, MORSEL_NAME_LEN, o->name, r->host);
			goto clear;
		}
		held++;
		continue;
clear:
		if (repair)
			r->obj = 0;
	}
	if (t->waiters & ~p->live) {
		bad("record-lock waiters %#x name hosts that are not alive", t->waiters & ~p->live);
		if (repair)
			t->waiters &= p->live;
	}
	printf("poolcheck: %u record locks held\n", held);
}

/* The MRSW invariants of an entry (morsel_pte_valid() in ownership.c). */
static bool entry_valid(uint64_t e)
{
	uint32_t readers = MORSEL_PTE_READERS(e), owner = MORSEL_PTE_OWNER(e);
	uint64_t frame1 = MORSEL_PTE_FRAME1(e);

	switch (MORSEL_PTE_STATE(e)) {
	case MORSEL_PTE_NONE:
		return !frame1 && !readers && !owner;
	case MORSEL_PTE_SHARED:
		return frame1 && !owner;
	case MORSEL_PTE_EXCLUSIVE:
		return frame1 && !readers;
	default:
		return frame1 && !(readers & (1u << owner));
	}
}

static uint64_t frames(const struct pool *p)
{
	return (p->sb->pool_size - p->sb->data_off) / 4096;
}

/* One bit per unit at pool offset @off: frames, or page tables. */
static bool bit_used(const struct pool *p, uint64_t off, uint64_t f)
{
	const uint64_t *map = (const uint64_t *)(p->base + off);

	return map[f / 64] >> (f % 64) & 1;
}

static void bit_set(struct pool *p, uint64_t off, uint64_t f, bool used)
{
	uint64_t *map = (uint64_t *)(p->base + off);

	if (used)
		map[f / 64] |= 1ull << (f % 64);
	else
		map[f / 64] &= ~(1ull << (f % 64));
}

static bool frame_used(const struct pool *p, uint64_t f)
{
	return bit_used(p, p->sb->bitmap_off, f);
}

static void frame_set(struct pool *p, uint64_t f, bool used)
{
	bit_set(p, p->sb->bitmap_off, f, used);
}

static struct morsel_chunk *chunk_dir(const struct pool *p, uint32_t i)
{
	return (struct morsel_chunk *)(p->base + p->sb->cdir_off + i * p->sb->cdir_bytes);
}

static uint64_t *table(const struct pool *p, uint64_t t)
{
	return (uint64_t *)(p->base + p->sb->tables_off + t * MORSEL_TABLE_BYTES);
}

/* The pool's hardware page table of a pair: x86-64 PTEs. */
static uint64_t *hwtable(const struct pool *p, uint64_t t)
{
	return table(p, t) + 512;
}

/* x86-64 PTE bits a shared page's hardware entry has (pooltable.c). */
#define HW_PRESENT	(1ull << 0)
#define HW_RW		(1ull << 1)
#define HW_USER		(1ull << 2)
#define HW_ACCESSED	(1ull << 5)
#define HW_DIRTY	(1ull << 6)
#define HW_SPECIAL	(1ull << 9)
#define HW_PFN_MASK	0x000ffffffffff000ull

/*
 * A hardware entry is 0, or shows a SHARED page read-only at its frame, by
 * the formatter's physical address of the pool, accessed preset.
 */
static bool hw_valid(const struct pool *p, uint64_t hw, uint64_t e)
{
	uint64_t frame_phys = p->sb->phys + p->sb->data_off + (MORSEL_PTE_FRAME1(e) - 1) * 4096;

	if (!hw)
		return true;
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED &&
	       (hw & (HW_PRESENT | HW_RW | HW_USER | HW_ACCESSED | HW_DIRTY | HW_SPECIAL)) ==
		       (HW_PRESENT | HW_USER | HW_ACCESSED | HW_SPECIAL) &&
	       (hw & HW_PFN_MASK) == frame_phys;
}

static int open_pool(const char *path, struct pool *p)
{
	const struct morsel_host_entry *hosts;
	struct stat st;
	uint32_t h;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		return -1;
	}
	p->size = st.st_size;
	p->base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p->base == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	p->sb = (struct morsel_sb *)p->base;
	if (p->size < sizeof(*p->sb) || p->sb->magic != MORSEL_POOL_MAGIC) {
		bad("%s is not a formatted pool", path);
		return -1;
	}
	if (p->sb->version != MORSEL_POOL_VERSION || p->sb->max_hosts != MORSEL_MAX_HOSTS ||
	    p->sb->slot_size != sizeof(struct morsel_slot) ||
	    p->sb->host_entry_size != sizeof(struct morsel_host_entry)) {
		bad("the pool's layout is not the one this tool was built with");
		return -1;
	}
	if (p->sb->pool_size > p->size || p->sb->data_off > p->sb->pool_size ||
	    p->sb->cdir_off + MORSEL_MAX_OBJECTS * p->sb->cdir_bytes > p->sb->tmap_off ||
	    p->sb->cdir_bytes < (frames(p) + 511) / 512 * sizeof(struct morsel_chunk) ||
	    p->sb->tmap_off + (p->sb->ntables + 63) / 64 * 8 > p->sb->tables_off ||
	    p->sb->tables_off + p->sb->ntables * MORSEL_TABLE_BYTES > p->sb->data_off ||
	    p->sb->bitmap_off + (frames(p) + 63) / 64 * 8 > p->sb->data_off ||
	    p->sb->dir_off + sizeof(struct morsel_dir) > p->sb->data_off) {
		bad("superblock regions outside the pool");
		return -1;
	}
	hosts = (const struct morsel_host_entry *)(p->base + p->sb->registry_off);
	for (h = 0; h < MORSEL_MAX_HOSTS; h++)
		if ((uint32_t)hosts[h].state_epoch == MORSEL_HOST_ALIVE)
			p->live |= 1u << h;
	return 0;
}

/*
 * Free a deleted object as the last host to close it would have. After
 * the references are counted (@refs per frame, @trefs per table): a frame
 * or table that something else references as well is reported already,
 * and stays, so that a repair never frees what a live object uses.
 */
static void free_orphan(struct pool *p, struct morsel_obj_entry *o, struct morsel_chunk *cdir,
			uint64_t chunks, uint8_t *refs, uint8_t *trefs)
{
	uint64_t c, i, f1;

	for (c = 0; c < chunks; c++) {
		uint32_t t = cdir[c].table;

		if (!t || t >= p->sb->ntables || trefs[t] != 1)
			continue;
		for (i = 0; i < 512; i++) {
			f1 = MORSEL_PTE_FRAME1(table(p, t)[i]);
			if (f1 && f1 <= frames(p) && refs[f1 - 1] == 1) {
				frame_set(p, f1 - 1, false);
				refs[f1 - 1] = 0;
			}
		}
		memset(table(p, t), 0, 4096);
		memset(hwtable(p, t), 0, 4096);
		bit_set(p, p->sb->tmap_off, t, false);
		trefs[t] = 0;
		cdir[c].table = 0;
		cdir[c].linked = 0;
	}
	o->views = 0;
	o->mapped = 0;
	o->gen++;
	o->state = MORSEL_OBJ_FREE;
}

/* Check (and with @repair, mend) the directory and the frames. */
static void check(struct pool *p, bool repair)
{
	struct morsel_dir *d = (struct morsel_dir *)(p->base + p->sb->dir_off);
	uint64_t n = frames(p), f, page, c, leaked = 0, gone = 0, used = 0;
	uint64_t chunks = (n + 511) / 512, nt = p->sb->ntables, tleaked = 0;
	uint8_t *refs = calloc(n, 1), *trefs = calloc(nt, 1);
	bool orphan[MORSEL_MAX_OBJECTS] = { false };
	struct morsel_chunk *cdir;
	uint64_t shown = 0;
	uint32_t i, stray;

	if (!refs || !trefs) {
		bad("out of memory");
		return;
	}
	if (d->dir_lock && !(p->live & (1u << (d->dir_lock - 1)))) {
		bad("directory lock held by host %llu, which is not alive",
		    (unsigned long long)d->dir_lock - 1);
		if (repair)
			d->dir_lock = 0;
	}
	for (page = 0; page < 1024; page++)
		if (table(p, 0)[page]) {
			bad("the hole tables (0) have entry %llu set", (unsigned long long)page);
			if (repair)
				table(p, 0)[page] = 0;
		}
	if (!bit_used(p, p->sb->tmap_off, 0))
		bad("the hole table (0) is free in the table bitmap");
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		struct morsel_obj_entry *o = &d->obj[i];

		cdir = chunk_dir(p, i);
		if (o->state == MORSEL_OBJ_ORPHAN && !(o->views & p->live)) {
			/*
			 * A host that shut down with it open leaves it (its
			 * faults may still run then): the next join frees it.
			 * Bits of hosts that are gone are checked below.
			 */
			printf("poolcheck: object %u '%.*s': deleted, open on no live host: freed at the next join%s\n",
			       i, MORSEL_NAME_LEN, o->name, repair ? " (freed now)" : "");
			orphan[i] = repair;	/* once its references are counted */
		}
		if (o->coherence > MORSEL_COHERENCE_PLAIN)
			bad("object %u: unknown coherence %u", i, o->coherence);
		if (o->state != MORSEL_OBJ_LIVE && o->state != MORSEL_OBJ_ORPHAN) {
			for (c = 0; c < chunks; c++)
				if (cdir[c].table || cdir[c].linked)
					bad("free directory entry %u holds table %u, linked %#x", i,
					    cdir[c].table, cdir[c].linked);
			continue;
		}
		for (c = 0; c < chunks; c++) {
			if (!(cdir[c].linked & ~p->live))
				continue;
			bad("object %u chunk %llu: linked by hosts %#x that are not alive", i,
			    (unsigned long long)c, cdir[c].linked & ~p->live);
			if (repair)
				cdir[c].linked &= p->live;
		}
		stray = (o->views | o->mapped) & ~p->live;
		if (stray) {
			bad("object %u '%.*s': views %#x mapped %#x name hosts that are not alive",
			    i, MORSEL_NAME_LEN, o->name, o->views, o->mapped);
			if (repair) {
				o->views &= p->live;
				o->mapped &= p->live;
			}
		}
		for (page = 0; page < chunks * 512; page++) {
			uint64_t e, f1, hw;
			uint32_t who, t = cdir[page / 512].table;

			if (t >= nt) {
				bad("object %u chunk %llu: table %u beyond the %llu tables", i,
				    (unsigned long long)page / 512, t, (unsigned long long)nt);
				page += 511;
				continue;
			}
			if (page % 512 == 0 && t) {
				if (trefs[t]++)
					bad("table %u in two chunks (object %u chunk %llu)", t, i,
					    (unsigned long long)page / 512);
				if (!bit_used(p, p->sb->tmap_off, t))
					bad("table %u in use by object %u but free in the bitmap", t, i);
			}
			e = table(p, t)[page % 512];
			hw = hwtable(p, t)[page % 512];
			f1 = MORSEL_PTE_FRAME1(e);
			who = MORSEL_PTE_READERS(e);

			if (!entry_valid(e))
				bad("object %u page %llu: invalid entry %#llx", i,
				    (unsigned long long)page, (unsigned long long)e);
			shown += hw != 0;
			if (!hw_valid(p, hw, e)) {
				bad("object %u page %llu: hardware entry %#llx does not show entry %#llx%s",
				    i, (unsigned long long)page, (unsigned long long)hw,
				    (unsigned long long)e, repair ? ": cleared" : "");
				if (repair)
					hwtable(p, t)[page % 512] = 0;
			}
			if (MORSEL_PTE_STATE(e) >= MORSEL_PTE_EXCLUSIVE)
				who |= 1u << MORSEL_PTE_OWNER(e);
			gone += (who & ~p->live) != 0;
			if (!f1)
				continue;
			if (f1 > n) {
				bad("object %u page %llu: frame %llu beyond the data region", i,
				    (unsigned long long)page, (unsigned long long)f1 - 1);
				continue;
			}
			if (refs[f1 - 1]++)
				bad("frame %llu referenced twice (object %u page %llu)",
				    (unsigned long long)f1 - 1, i, (unsigned long long)page);
			if (!frame_used(p, f1 - 1))
				bad("frame %llu in use by object %u page %llu but free in the bitmap",
				    (unsigned long long)f1 - 1, i, (unsigned long long)page);
		}
	}
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++)
		if (orphan[i])
			free_orphan(p, &d->obj[i], chunk_dir(p, i), chunks, refs, trefs);
	for (f = 0; f < n; f++) {
		used += frame_used(p, f);
		if (refs[f] || !frame_used(p, f))
			continue;
		leaked++;
		if (repair)
			frame_set(p, f, false);
	}
	if (leaked)
		bad("%llu frames in use by no page (leaked)%s", (unsigned long long)leaked,
		    repair ? ": freed" : "");
	for (c = 1; c < nt; c++) {
		if (trefs[c] || !bit_used(p, p->sb->tmap_off, c))
			continue;
		tleaked++;
		if (repair)
			bit_set(p, p->sb->tmap_off, c, false);
	}
	if (tleaked)
		bad("%llu page tables in use by no object (leaked)%s",
		    (unsigned long long)tleaked, repair ? ": freed" : "");
	if (gone)
		printf("poolcheck: %llu entries name hosts that are gone: recovered at their next fault\n",
		       (unsigned long long)gone);
	check_locks(p, d, repair);
	printf("poolcheck: %llu frames, %llu in use, hosts alive %#x\n",
	       (unsigned long long)n, (unsigned long long)used, p->live);
	for (c = 1, used = 0; c < nt; c++)
		used += trefs[c] != 0;
	printf("poolcheck: %llu table pairs, %llu in use, %llu pages shown in the pool's hardware tables\n",
	       (unsigned long long)nt - 1, (unsigned long long)used, (unsigned long long)shown);
	free(refs);
	free(trefs);
}

int main(int argc, char **argv)
{
	const char *op = argc > 2 ? argv[2] : "check";
	struct pool p = { 0 };
	uint64_t f;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: poolcheck FILE [repair|leak|leaktable]\n");
		return 2;
	}
	if (open_pool(argv[1], &p))
		return 1;
	if (!strcmp(op, "leak")) {
		for (f = 0; f < frames(&p) && frame_used(&p, f); f++)
			;
		if (f == frames(&p)) {
			bad("no free frame to leak");
			return 1;
		}
		frame_set(&p, f, true);
		printf("poolcheck: frame %llu marked in use by no page\n", (unsigned long long)f);
		return 0;
	}
	if (!strcmp(op, "leaktable")) {
		for (f = 1; f < p.sb->ntables && bit_used(&p, p.sb->tmap_off, f); f++)
			;
		if (f == p.sb->ntables) {
			bad("no free page table to leak");
			return 1;
		}
		bit_set(&p, p.sb->tmap_off, f, true);
		printf("poolcheck: page table %llu marked in use by no object\n",
		       (unsigned long long)f);
		return 0;
	}
	if (strcmp(op, "check") && strcmp(op, "repair")) {
		fprintf(stderr, "poolcheck: unknown operation %s\n", op);
		return 2;
	}
	if (!strcmp(op, "repair") && p.live) {
		fprintf(stderr, "poolcheck: hosts %#x are alive: no repair while the pool is in use\n",
			p.live);
		return 2;
	}
	check(&p, !strcmp(op, "repair"));
	if (errors)
		printf("poolcheck: %lu inconsistencies%s\n", errors,
		       !strcmp(op, "repair") ? ", repaired" : "");
	else
		printf("poolcheck: consistent\n");
	return errors ? 1 : 0;
}
