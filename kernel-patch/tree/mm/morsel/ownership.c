// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page ownership: multiple readers / single writer per page, across hosts.
 *
 * The authoritative entry of a page (8 bytes, coherent, encoding in
 * include/uapi/linux/morsel.h) is changed only by pool_cmpxchg() around the
 * pure functions below, which say what the caller must do next. No function
 * here does I/O; overlay.c performs the actions, KUnit drives the table.
 *
 * H is the host taking action, O the owner, R the reader set.
 *
 *   state        read fault by H          write fault by H          recall to O
 *   NONE         frame -> SHARED{H}       frame -> EXCLUSIVE{H}     -
 *   SHARED{R}    SHARED{R+H}              R<={H}: EXCLUSIVE{H}       -
 *                                         else BUSY{H,R}, then
 *                                         invalidate R-H, then
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
#include "internal.h"

#define PTE_OWNER_SHIFT		2
#define PTE_READERS_SHIFT	6
#define PTE_FRAME_SHIFT		22
#define PTE_SEQ_SHIFT		50
#define PTE_FRAME_MASK		0xfffffffULL

/**
 * morsel_pte_make() - build an entry.
 * @state: MORSEL_PTE_*.
 * @owner: writer or acquirer.
 * @readers: reader bitmap.
 * @frame1: frame + 1, or 0.
 * @seq: sequence number (truncated to 14 bits).
 *
 * Return: the entry.
 */
u64 morsel_pte_make(u32 state, u32 owner, u32 readers, u64 frame1, u64 seq)
{
	return (u64)state | (u64)(owner & 0xf) << PTE_OWNER_SHIFT |
	       (u64)(readers & 0xffff) << PTE_READERS_SHIFT |
	       (frame1 & PTE_FRAME_MASK) << PTE_FRAME_SHIFT |
	       seq << PTE_SEQ_SHIFT;
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
 * morsel_own_fault() - what a read or write fault by @host does to @e.
 * @e: the current entry.
 * @host: the faulting host.
 * @write: a write fault.
 * @new: the entry to install with cmpxchg (for GRANTED, BUSY).
 * @target: for RECALL the host to recall from; for INVALIDATE the
 *	bitmap of readers to revoke.
 *
 * Return: enum morsel_own_action.
 */
int morsel_own_fault(u64 e, u32 host, bool write, u64 *new, u32 *target)
{
	u32 readers = MORSEL_PTE_READERS(e), owner = MORSEL_PTE_OWNER(e);
	u32 others;

	*new = e;
	*target = 0;
	switch (MORSEL_PTE_STATE(e)) {
	case MORSEL_PTE_NONE:
		return MORSEL_OWN_NEED_FRAME;
	case MORSEL_PTE_EXCLUSIVE:
		if (owner == host)
			return MORSEL_OWN_GRANTED;
		*target = owner;
		return MORSEL_OWN_RECALL;
	case MORSEL_PTE_BUSY:
		*target = owner;
		return MORSEL_OWN_WAIT;
	}
	/* SHARED */
	if (!write) {
		if (!(readers & BIT(host)))
			*new = next(e, MORSEL_PTE_SHARED, 0, readers | BIT(host));
		return MORSEL_OWN_GRANTED;
	}
	others = readers & ~BIT(host);
	if (!others) {
		*new = next(e, MORSEL_PTE_EXCLUSIVE, host, 0);
		return MORSEL_OWN_GRANTED;
	}
	*new = next(e, MORSEL_PTE_BUSY, host, others);
	*target = others;
	return MORSEL_OWN_INVALIDATE;
}

/**
 * morsel_own_fill() - the entry of a fresh page after its first fault.
 * @e: the current entry (NONE).
 * @frame: the frame allocated for it.
 * @host: the faulting host.
 * @write: a write fault (exclusive) or a read fault (shared).
 *
 * Return: the new entry.
 */
u64 morsel_own_fill(u64 e, u64 frame, u32 host, bool write)
{
	return morsel_pte_make(write ? MORSEL_PTE_EXCLUSIVE : MORSEL_PTE_SHARED,
			       write ? host : 0, write ? 0 : BIT(host), frame + 1,
			       MORSEL_PTE_SEQ(e) + 1);
}

/**
 * morsel_own_busy_done() - the acquirer finished revoking the readers.
 * @e: the current entry, BUSY{@host, R}.
 * @host: the acquirer.
 * @new: EXCLUSIVE{@host}.
 *
 * Return: 0, or -ESTALE if @e is not BUSY{@host}.
 */
int morsel_own_busy_done(u64 e, u32 host, u64 *new)
{
	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_BUSY || MORSEL_PTE_OWNER(e) != host)
		return -ESTALE;
	*new = next(e, MORSEL_PTE_EXCLUSIVE, host, 0);
	return 0;
}

/**
 * morsel_own_release() - the owner gives up exclusive access (recall).
 * @e: the current entry.
 * @host: the host releasing.
 * @downgrade: keep @host as a reader.
 * @new: SHARED{@host} or SHARED{}.
 *
 * The caller has written the page back before it installs @new.
 *
 * Return: 0, or -ESTALE if @host does not own the page (a stale recall).
 */
int morsel_own_release(u64 e, u32 host, bool downgrade, u64 *new)
{
	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_EXCLUSIVE || MORSEL_PTE_OWNER(e) != host)
		return -ESTALE;
	*new = next(e, MORSEL_PTE_SHARED, 0, downgrade ? BIT(host) : 0);
	return 0;
}

/**
 * morsel_own_drop_reader() - a reader gives up its read access.
 * @e: the current entry.
 * @host: the reader.
 * @new: the entry without @host among the readers.
 *
 * Return: 0, or -ESTALE if @e is not SHARED with @host as a reader.
 */
int morsel_own_drop_reader(u64 e, u32 host, u64 *new)
{
	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_SHARED ||
	    !(MORSEL_PTE_READERS(e) & BIT(host)))
		return -ESTALE;
	*new = next(e, MORSEL_PTE_SHARED, 0, MORSEL_PTE_READERS(e) & ~BIT(host));
	return 0;
}

/**
 * morsel_own_host_failed() - forget a host declared dead.
 * @e: the current entry.
 * @dead: the dead host.
 * @new: the entry without @dead.
 *
 * Return: 0, or -ESTALE if @e does not involve @dead.
 */
int morsel_own_host_failed(u64 e, u32 dead, u64 *new)
{
	u32 readers = MORSEL_PTE_READERS(e);

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
 * @host: the punching host.
 * @new: NONE.
 *
 * Return: 0, or -ESTALE if @host does not own the page exclusively.
 */
int morsel_own_punch(u64 e, u32 host, u64 *new)
{
	if (MORSEL_PTE_STATE(e) != MORSEL_PTE_EXCLUSIVE || MORSEL_PTE_OWNER(e) != host)
		return -ESTALE;
	*new = morsel_pte_make(MORSEL_PTE_NONE, 0, 0, 0, MORSEL_PTE_SEQ(e) + 1);
	return 0;
}
