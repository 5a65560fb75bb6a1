// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page ownership: multiple readers / single writer per page, across hosts.
 *
 * The authoritative entry of a page (8 bytes, coherent, encoding in
 * include/uapi/linux/morsel_pte.h) is changed only by morsel_pte_update()
 * (ownership.h) around the pure functions below, which say what the caller
 * must do next. No function here does I/O: fault.c, recall.c and
 * writeback.c perform the actions, KUnit drives the table.
 *
 * H is the host taking action, O the owner, R the reader set, L the hosts
 * that linked the pool's hardware table of the page's 2 MiB (they read it
 * without faults, so a writer revokes them as readers).
 *
 *   state        read fault by H          write fault by H          recall to O
 *   NONE         frame -> SHARED{H}       frame -> EXCLUSIVE{H}     -
 *   SHARED{R}    SHARED{R+H}              R+L<={H}: EXCLUSIVE{H}     -
 *                                         else BUSY{H,R+L-H}, then
 *                                         invalidate R+L-H, then
 *                                         EXCLUSIVE{H}
 *   EXCL{H}      granted (own page)       granted                   -
 *   EXCL{O}      recall O: downgrade      recall O: invalidate      write back,
 *                                                                   SHARED{O} or
 *                                                                   SHARED{}
 *   BUSY{W,R}    wait                     wait                      -
 *
 * Host failure (O or W declared dead): EXCL{O} -> SHARED{} (the pool holds
 * the content O last wrote back); BUSY{W,R} -> SHARED{R-W}; a dead reader
 * is simply not asked. Every transition increments the sequence field.
 *
 * Invariants (morsel_pte_valid()): EXCLUSIVE has no readers; a page with
 * readers or an owner has a frame; NONE has neither.
 */
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include "ownership.h"

#define PTE(f, v)	(((u64)(v) & MORSEL_PTE_##f##_MASK) << MORSEL_PTE_##f##_SHIFT)

/**
 * morsel_pte_make() - build an entry.
 * @state: MORSEL_PTE_*.
 * @owner: writer or acquirer.
 * @readers: reader bitmap.
 * @frame1: frame + 1, or 0.
 * @seq: sequence number (truncated to its field).
 *
 * Return: the entry.
 */
u64 morsel_pte_make(u32 state, u32 owner, u32 readers, u64 frame1, u64 seq)
{
	return PTE(STATE, state) | PTE(OWNER, owner) | PTE(READERS, readers) |
	       PTE(FRAME, frame1) | PTE(SEQ, seq);
}

static u64 next(u64 e, u32 state, u32 owner, u32 readers)
{
	return morsel_pte_make(state, owner, readers, MORSEL_PTE_FRAME1(e),
			       MORSEL_PTE_SEQ(e) + 1);
}

/**
 * morsel_pte_valid() - does an entry satisfy the MRSW invariants?
 * @e: the entry.
 *
 * Return: true if it does.
 */
bool morsel_pte_valid(u64 e)
{
	u32 readers = MORSEL_PTE_READERS(e);
	u64 frame1 = MORSEL_PTE_FRAME1(e);

	switch (MORSEL_PTE_STATE(e)) {
	case MORSEL_PTE_NONE:
		return !frame1 && !readers && !MORSEL_PTE_OWNER(e);
	case MORSEL_PTE_SHARED:
		return frame1 && !MORSEL_PTE_OWNER(e);
	case MORSEL_PTE_EXCLUSIVE:
		return frame1 && !readers;
	default:	/* BUSY: the acquirer is not among the readers it revokes */
		return frame1 && !(readers & BIT(MORSEL_PTE_OWNER(e)));
	}
}

/**
 * morsel_own_fault() - what a read or write fault by a host does to @e.
 * @e: the current entry.
 * @req: the faulting host; MORSEL_OWN_WRITE for a write fault; the hosts
 *	linked to the pool's table of the page's 2 MiB.
 * @new: the entry to install: changed for GRANTED (a new reader, or an
 *	upgrade) and INVALIDATE (BUSY), else @e.
 *
 * The host to recall from (RECALL) is the owner in @e; the readers to
 * revoke (INVALIDATE) are the readers in *@new.
 *
 * Return: enum morsel_own_action.
 */
int morsel_own_fault(u64 e, const struct morsel_own_req *req, u64 *new)
{
	u32 readers = MORSEL_PTE_READERS(e), host = req->host, others;

	*new = e;
	switch (MORSEL_PTE_STATE(e)) {
	case MORSEL_PTE_NONE:
		return MORSEL_OWN_NEED_FRAME;
	case MORSEL_PTE_EXCLUSIVE:
		return MORSEL_PTE_OWNER(e) == host ? MORSEL_OWN_GRANTED :
						     MORSEL_OWN_RECALL;
	case MORSEL_PTE_BUSY:
		return MORSEL_OWN_WAIT;
	}
	/* SHARED */
	if (!(req->flags & MORSEL_OWN_WRITE)) {
		if (!(readers & BIT(host)))
			*new = next(e, MORSEL_PTE_SHARED, 0, readers | BIT(host));
		return MORSEL_OWN_GRANTED;
	}
	others = (readers | req->linked) & ~BIT(host);
	if (!others) {
		*new = next(e, MORSEL_PTE_EXCLUSIVE, host, 0);
		return MORSEL_OWN_GRANTED;
	}
	*new = next(e, MORSEL_PTE_BUSY, host, others);
	return MORSEL_OWN_INVALIDATE;
}

/**
 * morsel_own_fill() - the entry of a fresh page after its first fault.
 * @e: the current entry.
 * @req: the faulting host, MORSEL_OWN_WRITE (exclusive) or not (shared),
 *	and the frame allocated for the page.
 * @new: the new entry.
 *
 * Return: 0, or -EEXIST if the page got a frame meanwhile.
 */
int morsel_own_fill(u64 e, const struct morsel_own_req *req, u64 *new)
{
	bool write = req->flags & MORSEL_OWN_WRITE;

	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_NONE)
		return -EEXIST;
	*new = morsel_pte_make(write ? MORSEL_PTE_EXCLUSIVE : MORSEL_PTE_SHARED,
			       write ? req->host : 0, write ? 0 : BIT(req->host),
			       req->frame + 1, MORSEL_PTE_SEQ(e) + 1);
	return 0;
}

/**
 * morsel_own_busy_done() - the acquirer finished revoking the readers.
 * @e: the current entry, BUSY{host, R}.
 * @req: the acquirer.
 * @new: EXCLUSIVE{host}.
 *
 * Return: 0, or -ESTALE if @e is not BUSY{host}.
 */
int morsel_own_busy_done(u64 e, const struct morsel_own_req *req, u64 *new)
{
	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_BUSY || MORSEL_PTE_OWNER(e) != req->host)
		return -ESTALE;
	*new = next(e, MORSEL_PTE_EXCLUSIVE, req->host, 0);
	return 0;
}

/**
 * morsel_own_release() - the owner gives up exclusive access.
 * @e: the current entry.
 * @req: the owner; MORSEL_OWN_DOWNGRADE to stay a reader.
 * @new: SHARED{host} or SHARED{}.
 *
 * The caller has written the page back before it installs @new.
 *
 * Return: 0, or -ESTALE if the host does not own the page (a stale recall).
 */
int morsel_own_release(u64 e, const struct morsel_own_req *req, u64 *new)
{
	if (!morsel_pte_owned_by(e, req->host))
		return -ESTALE;
	*new = next(e, MORSEL_PTE_SHARED, 0,
		    req->flags & MORSEL_OWN_DOWNGRADE ? BIT(req->host) : 0);
	return 0;
}

/**
 * morsel_own_drop_reader() - a reader gives up its read access.
 * @e: the current entry.
 * @req: the reader.
 * @new: the entry without the host among the readers.
 *
 * Return: 0, or -ESTALE if @e is not SHARED with the host as a reader.
 */
int morsel_own_drop_reader(u64 e, const struct morsel_own_req *req, u64 *new)
{
	if (!morsel_pte_read_by(e, req->host))
		return -ESTALE;
	*new = next(e, MORSEL_PTE_SHARED, 0, MORSEL_PTE_READERS(e) & ~BIT(req->host));
	return 0;
}

/**
 * morsel_own_leave() - a host gives up whatever access it has to a page.
 * @e: the current entry.
 * @req: the host (it closes its last view of the object).
 * @new: SHARED without the host.
 *
 * The caller has written the page back if the host owned it.
 *
 * Return: 0, or -ESTALE if the host neither owns nor reads the page.
 */
int morsel_own_leave(u64 e, const struct morsel_own_req *req, u64 *new)
{
	struct morsel_own_req give_all = { .host = req->host };

	if (!morsel_own_release(e, &give_all, new))
		return 0;
	return morsel_own_drop_reader(e, req, new);
}

/**
 * morsel_own_host_failed() - forget a host declared dead.
 * @e: the current entry.
 * @req: the dead host.
 * @new: the entry without it.
 *
 * Return: 0, or -ESTALE if @e does not involve the dead host.
 */
int morsel_own_host_failed(u64 e, const struct morsel_own_req *req, u64 *new)
{
	u32 readers = MORSEL_PTE_READERS(e), dead = req->host;

	switch (MORSEL_PTE_STATE(e)) {
	case MORSEL_PTE_EXCLUSIVE:
		if (MORSEL_PTE_OWNER(e) != dead)
			return -ESTALE;
		*new = next(e, MORSEL_PTE_SHARED, 0, 0);
		return 0;
	case MORSEL_PTE_BUSY:
		if (MORSEL_PTE_OWNER(e) != dead)
			return -ESTALE;
		*new = next(e, MORSEL_PTE_SHARED, 0, readers & ~BIT(dead));
		return 0;
	case MORSEL_PTE_SHARED:
		if (!(readers & BIT(dead)))
			return -ESTALE;
		*new = next(e, MORSEL_PTE_SHARED, 0, readers & ~BIT(dead));
		return 0;
	}
	return -ESTALE;
}

/**
 * morsel_own_punch() - the entry of a removed page.
 * @e: the current entry, EXCLUSIVE to the punching host.
 * @req: the punching host.
 * @new: NONE.
 *
 * Return: 0, or -ESTALE if the host does not own the page exclusively.
 */
int morsel_own_punch(u64 e, const struct morsel_own_req *req, u64 *new)
{
	if (!morsel_pte_owned_by(e, req->host))
		return -ESTALE;
	*new = morsel_pte_make(MORSEL_PTE_NONE, 0, 0, 0, MORSEL_PTE_SEQ(e) + 1);
	return 0;
}
