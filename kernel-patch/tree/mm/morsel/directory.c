// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object directory in the coherent region (names, sizes, which hosts
 * have an object open or mapped) and the objects' authoritative page
 * tables. What a host does with an object it opened is object.c.
 *
 * Directory changes (create, delete, resize) take dir_lock, a cross-host
 * lock word holding the holder's host id + 1. A waiter that finds the
 * holder dead in the registry breaks the lock; every wait is bounded.
 * Page-table entries are not under dir_lock: each changes by cmpxchg
 * (ownership.c).
 *
 * So a delete cannot know that no host is about to change an entry of the
 * object: a host that looked at the entry (live) may still fill a page of
 * it, after the tables went, into the hole or into the next object's
 * table. A delete therefore frees only what no host has open. Each host's
 * bit in @views is its claim: set with a locked OR before its first look
 * at the entry (morsel_obj_view_get()), cleared after its last access
 * (morsel_obj_view_put()). A delete makes the entry ORPHAN, then (after a
 * full barrier) reads @views: empty, it frees the tables at once; else the
 * host that clears the last bit frees them, under dir_lock. A host whose
 * look races the delete either sees ORPHAN or is seen in @views (store,
 * full barrier, load on both sides).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include "internal.h"

/* The pool's lock word names a host; this mutex orders the host's threads. */
static DEFINE_MUTEX(dir_mutex);

static struct morsel_dir *dir(struct morsel_pool *p)
{
	return morsel_pool_ptr(p, p->sb->dir_off);
}

/**
 * morsel_dir_lock() - take the cross-host directory lock.
 * @p: the pool, online.
 *
 * Spins with sleeps; breaks the lock of a holder that is not alive.
 */
void morsel_dir_lock(struct morsel_pool *p)
{
	u64 *lock = &dir(p)->dir_lock, me = p->host_id + 1, old;

	mutex_lock(&dir_mutex);
	for (;;) {
		old = pool_cmpxchg(lock, 0, me);
		if (!old)
			return;
		if (old != me && !morsel_host_alive(p, old - 1, NULL)) {
			/* The holder is dead. */
			if (pool_cmpxchg(lock, old, me) == old) {
				pr_warn("morsel: broke the directory lock of host %llu\n",
					old - 1);
				return;
			}
			continue;
		}
		usleep_range(20, 100);
	}
}

/**
 * morsel_dir_unlock() - release the directory lock.
 * @p: the pool.
 */
void morsel_dir_unlock(struct morsel_pool *p)
{
	/* Release: the directory changes before the lock word. */
	smp_store_release(&dir(p)->dir_lock, 0);
	mutex_unlock(&dir_mutex);
}

/**
 * morsel_dir_lock_reset() - drop a directory lock left by an earlier
 * incarnation of this host (called once when the host joins).
 * @p: the pool.
 */
void morsel_dir_lock_reset(struct morsel_pool *p)
{
	u64 me = p->host_id + 1;

	if (pool_cmpxchg(&dir(p)->dir_lock, me, 0) == me)
		pr_warn("morsel: released the directory lock of this host's previous incarnation\n");
}

/**
 * morsel_obj_entry() - the directory entry of an object.
 * @p: the pool.
 * @idx: directory index, below MORSEL_MAX_OBJECTS.
 *
 * Return: a pointer into the coherent region.
 */
struct morsel_obj_entry *morsel_obj_entry(struct morsel_pool *p, unsigned int idx)
{
	return &dir(p)->obj[idx];
}

/* The chunk directory of entry @idx: a struct morsel_chunk per 2 MiB. */
static struct morsel_chunk *chunk_dir(struct morsel_pool *p, unsigned int idx)
{
	return morsel_pool_ptr(p, p->sb->cdir_off + idx * p->sb->cdir_bytes);
}

/**
 * morsel_obj_forget_links() - a host links no chunk of an object any more.
 * @p: the pool.
 * @idx: directory index.
 * @host: the host, whose processes have all unlinked (or who is dead).
 *
 * Writers stop revoking it as a reader of the pool's tables.
 */
void morsel_obj_forget_links(struct morsel_pool *p, unsigned int idx, unsigned int host)
{
	struct morsel_chunk *cdir = chunk_dir(p, idx);
	u64 c;

	for (c = 0; c < morsel_sb_chunks(p->sb) && READ_ONCE(cdir[c].table); c++)
		if (READ_ONCE(cdir[c].linked) & BIT(host))
			pool_and32(&cdir[c].linked, ~BIT(host));
}

/**
 * morsel_obj_max_pages() - the largest object this pool allows, in pages.
 * @p: the pool.
 *
 * Return: as many pages as the data region has frames.
 */
u64 morsel_obj_max_pages(struct morsel_pool *p)
{
	return morsel_sb_frames(p->sb);
}

/**
 * morsel_obj_chunk() - 2 MiB of an object in its chunk directory.
 * @p: the pool.
 * @idx: directory index.
 * @chunk: chunk index, below morsel_obj_max_pages() / 512 rounded up.
 *
 * Return: a pointer into the coherent region.
 */
struct morsel_chunk *morsel_obj_chunk(struct morsel_pool *p, unsigned int idx, u64 chunk)
{
	return chunk_dir(p, idx) + chunk;
}

/**
 * morsel_obj_table() - the table pair of a chunk.
 * @p: the pool.
 * @idx: directory index.
 * @chunk: chunk index.
 *
 * A chunk without a table (beyond the largest size the object had) has
 * the hole: it reads as never touched, and nothing writes to it, since
 * every change to an entry needs a page of the object, and a host's view
 * of the object keeps its tables (the header comment).
 *
 * Return: the pair's number, 0 for the hole.
 */
u32 morsel_obj_table(struct morsel_pool *p, unsigned int idx, u64 chunk)
{
	u32 t = READ_ONCE(chunk_dir(p, idx)[chunk].table);

	if (WARN_ON_ONCE(t >= p->sb->ntables))
		t = 0;	/* a corrupt chunk directory: the hole */
	return t;
}

/**
 * morsel_obj_pte() - the authoritative entry of a page.
 * @p: the pool.
 * @idx: directory index.
 * @page: page index, below morsel_obj_max_pages().
 *
 * Return: a pointer into the coherent region (into the hole table for a
 * page beyond the largest size the object had).
 */
u64 *morsel_obj_pte(struct morsel_pool *p, unsigned int idx, u64 page)
{
	return morsel_table_ptr(p, morsel_obj_table(p, idx, page / PTRS_PER_PTE)) +
	       page % PTRS_PER_PTE;
}

/**
 * morsel_obj_table_pages() - pages of an object that have tables.
 * @p: the pool.
 * @idx: directory index.
 *
 * Every page an object had (its largest size, in whole chunks): the pages
 * beyond are in the hole and were never touched.
 *
 * Return: a page count, a multiple of 512.
 */
u64 morsel_obj_table_pages(struct morsel_pool *p, unsigned int idx)
{
	struct morsel_chunk *cdir = chunk_dir(p, idx);
	u64 c = morsel_sb_chunks(p->sb);

	while (c && !READ_ONCE(cdir[c - 1].table))
		c--;
	return c * PTRS_PER_PTE;
}

/* Give back every table of entry @idx, and the frames they name. */
static void obj_free_tables(struct morsel_pool *p, unsigned int idx)
{
	struct morsel_chunk *cdir = chunk_dir(p, idx);
	u64 c, i;

	for (c = 0; c < morsel_sb_chunks(p->sb); c++) {
		u64 *table;

		if (!cdir[c].table)
			continue;
		table = morsel_table_ptr(p, cdir[c].table);
		for (i = 0; i < PTRS_PER_PTE; i++) {
			u64 e = xchg(&table[i], 0);

			if (MORSEL_PTE_FRAME1(e))
				morsel_frame_free(p, MORSEL_PTE_FRAME1(e) - 1);
		}
		/* The next user of the pair starts with an empty hardware table. */
		memset(morsel_hwtable_ptr(p, cdir[c].table), 0, PAGE_SIZE);
		morsel_table_free(p, cdir[c].table);
		WRITE_ONCE(cdir[c].table, 0);
		WRITE_ONCE(cdir[c].linked, 0);
	}
}

/**
 * morsel_obj_grow() - give an object tables for every page below @size.
 * @p: the pool.
 * @idx: directory index.
 * @size: bytes, at most morsel_obj_max_pages() pages.
 *
 * Context: the directory lock held. Tables are published before the size
 * that needs them (the caller's release).
 * Return: 0, or -ENOSPC when the coherent region has no table left (the
 * tables taken stay, for the next try).
 */
int morsel_obj_grow(struct morsel_pool *p, unsigned int idx, u64 size)
{
	u64 c, chunks = DIV_ROUND_UP(DIV_ROUND_UP(size, PAGE_SIZE), PTRS_PER_PTE);
	struct morsel_chunk *cdir = chunk_dir(p, idx);
	s64 t;

	for (c = 0; c < chunks; c++) {
		if (cdir[c].table)
			continue;
		t = morsel_table_alloc(p);
		if (t < 0)
			return t;
		/* Release: the zeroed tables before their number. */
		smp_store_release(&cdir[c].table, t);
	}
	return 0;
}

/**
 * morsel_obj_name_valid() - is this an acceptable object name?
 * @name: the name, within a buffer of @len bytes.
 * @len: buffer size.
 *
 * Return: true for 1..31 characters of [A-Za-z0-9._-], NUL-terminated,
 * other than "." and ".." (which a file view of the directory could not
 * show). ASCII only: the kernel's isalnum() also takes Latin-1 letters.
 */
bool morsel_obj_name_valid(const char *name, size_t len)
{
	size_t n = strnlen(name, len), i;

	if (!n || n == len || n >= MORSEL_NAME_LEN)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

static int find_locked(struct morsel_pool *p, const char *name)
{
	int i;

	for (i = 0; i < MORSEL_MAX_OBJECTS; i++) {
		struct morsel_obj_entry *o = &dir(p)->obj[i];

		if (READ_ONCE(o->state) == MORSEL_OBJ_LIVE &&
		    !strncmp(o->name, name, MORSEL_NAME_LEN))
			return i;
	}
	return -ENOENT;
}

/**
 * morsel_obj_create() - create a named object.
 * @p: the pool, online.
 * @name: a valid name.
 * @size: bytes (0: an empty file, which grows by resize or write).
 * @own: permission bits and owner, as a file.
 * @coherence: enum morsel_coherence: how hosts keep views of its data.
 * @gen: set to the new object's generation.
 *
 * Return: the directory index, or -EFBIG (too large), -EEXIST (name
 * taken), -ENOSPC (directory full, or no page table left).
 */
int morsel_obj_create(struct morsel_pool *p, const char *name, u64 size,
		      const struct morsel_obj_owner *own, u32 coherence, u32 *gen)
{
	struct morsel_obj_entry *o;
	int i, err;

	if (size > morsel_obj_max_pages(p) << PAGE_SHIFT)
		return -EFBIG;
	morsel_dir_lock(p);
	morsel_kill_point(p, MORSEL_KILL_DIRLOCK);
	if (find_locked(p, name) >= 0) {
		morsel_dir_unlock(p);
		return -EEXIST;
	}
	for (i = 0; i < MORSEL_MAX_OBJECTS; i++)
		if (READ_ONCE(dir(p)->obj[i].state) == MORSEL_OBJ_FREE)
			break;
	if (i == MORSEL_MAX_OBJECTS) {
		morsel_dir_unlock(p);
		return -ENOSPC;
	}
	o = &dir(p)->obj[i];
	err = morsel_obj_grow(p, i, size);
	if (err) {
		obj_free_tables(p, i);
		morsel_dir_unlock(p);
		return err;
	}
	strscpy(o->name, name, MORSEL_NAME_LEN);
	o->size = size;
	o->views = 0;
	o->mapped = 0;
	o->creator = p->host_id;
	o->coherence = coherence;
	o->mode = own->mode & 07777;
	o->uid = own->uid;
	o->gid = own->gid;
	o->mtime_ns = ktime_get_real_ns();
	*gen = ++o->gen;
	/* Release: the entry and its table before it is seen LIVE. */
	smp_store_release(&o->state, MORSEL_OBJ_LIVE);
	morsel_dir_unlock(p);
	return i;
}

/**
 * morsel_obj_lookup() - find a live object by name.
 * @p: the pool.
 * @name: a valid name.
 * @gen: its generation.
 *
 * Return: the directory index, or -ENOENT.
 */
int morsel_obj_lookup(struct morsel_pool *p, const char *name, u32 *gen)
{
	int i;

	morsel_dir_lock(p);
	i = find_locked(p, name);
	if (i >= 0)
		*gen = dir(p)->obj[i].gen;
	morsel_dir_unlock(p);
	return i;
}

/* Is entry @idx the object of generation @gen? Under the directory lock. */
static bool is_live_locked(struct morsel_pool *p, unsigned int idx, u32 gen)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];

	return READ_ONCE(o->state) == MORSEL_OBJ_LIVE && o->gen == gen;
}

/*
 * Free a deleted object that no host has open any more. Under the
 * directory lock. Returns true if it did.
 */
static bool reap_locked(struct morsel_pool *p, unsigned int idx)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];

	if (READ_ONCE(o->state) != MORSEL_OBJ_ORPHAN || READ_ONCE(o->views))
		return false;
	obj_free_tables(p, idx);
	o->mapped = 0;
	o->gen++;
	WRITE_ONCE(o->state, MORSEL_OBJ_FREE);
	return true;
}

/*
 * Delete the object (@idx, @gen) unless a host maps it: its name goes at
 * once, its frames when no host has it open. Under the directory lock.
 * Return: 0, -ENOENT (not that object any more), -EBUSY.
 */
static int remove_locked(struct morsel_pool *p, unsigned int idx, u32 gen)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];

	if (!is_live_locked(p, idx, gen))
		return -ENOENT;
	if (READ_ONCE(o->mapped))
		return -EBUSY;
	WRITE_ONCE(o->state, MORSEL_OBJ_ORPHAN);
	/* Before @views is read: see the header comment. */
	smp_mb();
	reap_locked(p, idx);
	return 0;
}

/**
 * morsel_dir_forget_host() - a host has no object open or mapped.
 * @p: the pool.
 * @host: a host declared dead, or joining again (its last incarnation
 *	may have died before anyone noticed), or this host shutting down.
 * @reap: free the deleted objects only @host had open; not at this host's
 *	own shutdown, where a fault may still be running (the next join or
 *	a survivor's sweep frees them).
 *
 * Clears its views and mapped bits in every entry, so that a delete does
 * not wait for a host that will never unmap, and its links to the pool's
 * hardware tables, so that writers no longer recall it; with @reap, frees
 * the deleted objects that only it had open.
 *
 * Return: how many entries named it.
 */
unsigned int morsel_dir_forget_host(struct morsel_pool *p, unsigned int host, bool reap)
{
	unsigned int idx, named = 0;

	for (idx = 0; idx < MORSEL_MAX_OBJECTS; idx++) {
		struct morsel_obj_entry *o = &dir(p)->obj[idx];

		if ((pool_and32(&o->views, ~BIT(host)) |
		     pool_and32(&o->mapped, ~BIT(host))) & BIT(host))
			named++;
		if (READ_ONCE(o->state) == MORSEL_OBJ_LIVE)
			morsel_obj_forget_links(p, idx, host);
	}
	if (!reap)
		return named;
	morsel_dir_lock(p);
	for (idx = 0; idx < MORSEL_MAX_OBJECTS; idx++)
		reap_locked(p, idx);
	morsel_dir_unlock(p);
	return named;
}

/**
 * morsel_obj_view_get() - this host is about to use the object (@idx, @gen).
 * @p: the pool.
 * @idx: directory index.
 * @gen: the generation the caller found.
 *
 * Sets this host's bit in @views, then looks at the entry: until
 * morsel_obj_view_put(), the object's tables and frames stay, even if it
 * is deleted. On -ESTALE the caller clears the bit again with
 * morsel_obj_view_put() unless another overlay of this host holds it.
 * Context: the caller serialises this host's views of @idx (overlay.c).
 *
 * Return: 0, or -ESTALE if the entry is not that object (any more).
 */
int morsel_obj_view_get(struct morsel_pool *p, unsigned int idx, u32 gen)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];

	/* Locked: a full barrier before the entry is read. */
	pool_or32(&o->views, BIT(p->host_id));
	if (READ_ONCE(o->state) == MORSEL_OBJ_LIVE && READ_ONCE(o->gen) == gen)
		return 0;
	return -ESTALE;
}

/**
 * morsel_obj_view_put() - this host is done with the object in entry @idx.
 * @p: the pool.
 * @idx: directory index.
 *
 * Clears this host's bit in @views. If that was the last one of a deleted
 * object, the caller frees it with morsel_obj_reap() (which sleeps: not
 * under a lock that the directory lock nests in).
 * Context: no access of this host to the object left.
 *
 * Return: true if the object is to be reaped.
 */
bool morsel_obj_view_put(struct morsel_pool *p, unsigned int idx)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];
	u32 me = BIT(p->host_id);

	/* Locked: a full barrier before the state is read. */
	if (pool_and32(&o->views, ~me) & ~me)
		return false;	/* another host has it open */
	return READ_ONCE(o->state) == MORSEL_OBJ_ORPHAN;
}

/**
 * morsel_obj_reap() - free entry @idx if it is a deleted object nobody has open.
 * @p: the pool.
 * @idx: directory index.
 *
 * Context: process context; takes the directory lock.
 */
void morsel_obj_reap(struct morsel_pool *p, unsigned int idx)
{
	morsel_dir_lock(p);
	reap_locked(p, idx);
	morsel_dir_unlock(p);
}

/**
 * morsel_obj_delete() - delete a named object that no host maps.
 * @p: the pool, online.
 * @name: a valid name.
 *
 * Its name goes at once; every frame and page table when no host has it
 * open any more. Hosts that still have it open see -ESTALE.
 *
 * Return: 0, -ENOENT, or -EBUSY if a host maps the object.
 */
int morsel_obj_delete(struct morsel_pool *p, const char *name)
{
	int i;

	morsel_dir_lock(p);
	i = find_locked(p, name);
	if (i >= 0)
		i = remove_locked(p, i, dir(p)->obj[i].gen);
	morsel_dir_unlock(p);
	return i;
}

/**
 * morsel_obj_remove() - delete the object (@idx, @gen) that no host maps.
 * @p: the pool, online.
 * @idx: directory index.
 * @gen: the generation the caller knows: another one is not touched.
 *
 * Return: 0, -ENOENT (not that object any more), -EBUSY (a host maps it).
 */
int morsel_obj_remove(struct morsel_pool *p, unsigned int idx, u32 gen)
{
	int err;

	morsel_dir_lock(p);
	err = remove_locked(p, idx, gen);
	morsel_dir_unlock(p);
	return err;
}

/**
 * morsel_obj_rename() - give the object (@idx, @gen) another name.
 * @p: the pool, online.
 * @idx: directory index.
 * @gen: its generation.
 * @name: a valid name.
 * @replace: an object of that name is deleted (it must not be mapped);
 *	false: -EEXIST.
 *
 * One directory change under the directory lock: every host sees the old
 * name or the new one, never both or neither.
 *
 * Return: 0, -ENOENT (the object is gone), -EEXIST, -EBUSY (the object to
 * replace is mapped).
 */
int morsel_obj_rename(struct morsel_pool *p, unsigned int idx, u32 gen,
		      const char *name, bool replace)
{
	int err = 0, other;

	morsel_dir_lock(p);
	if (!is_live_locked(p, idx, gen)) {
		err = -ENOENT;
		goto out;
	}
	other = find_locked(p, name);
	if (other == idx)
		goto out;
	if (other >= 0) {
		err = replace ? remove_locked(p, other, dir(p)->obj[other].gen) :
				-EEXIST;
		if (err)
			goto out;
	}
	strscpy(dir(p)->obj[idx].name, name, MORSEL_NAME_LEN);
out:
	morsel_dir_unlock(p);
	return err;
}

/**
 * morsel_dir_list() - the live objects, from slot @from on.
 * @p: the pool.
 * @from: first directory index to look at.
 * @items: filled with up to @max objects, in directory order.
 * @max: room in @items.
 *
 * A snapshot under the directory lock, so that no name is read while
 * another host changes it.
 *
 * Return: how many were filled.
 */
unsigned int morsel_dir_list(struct morsel_pool *p, unsigned int from,
			     struct morsel_dir_item *items, unsigned int max)
{
	unsigned int i, n = 0;

	morsel_dir_lock(p);
	for (i = from; i < MORSEL_MAX_OBJECTS && n < max; i++) {
		struct morsel_obj_entry *o = &dir(p)->obj[i];

		if (READ_ONCE(o->state) != MORSEL_OBJ_LIVE)
			continue;
		items[n].idx = i;
		items[n].gen = o->gen;
		strscpy(items[n].name, o->name, MORSEL_NAME_LEN);
		n++;
	}
	morsel_dir_unlock(p);
	return n;
}

/**
 * morsel_obj_set_owner() - change an object's permission bits and owner.
 * @p: the pool, online.
 * @idx: directory index.
 * @gen: its generation.
 * @own: the new values.
 *
 * Return: 0, or -ENOENT if the object is gone.
 */
int morsel_obj_set_owner(struct morsel_pool *p, unsigned int idx, u32 gen,
			 const struct morsel_obj_owner *own)
{
	struct morsel_obj_entry *o = &dir(p)->obj[idx];
	int err = -ENOENT;

	morsel_dir_lock(p);
	if (is_live_locked(p, idx, gen)) {
		WRITE_ONCE(o->mode, own->mode & 07777);
		WRITE_ONCE(o->uid, own->uid);
		WRITE_ONCE(o->gid, own->gid);
		err = 0;
	}
	morsel_dir_unlock(p);
	return err;
}
