/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page ownership: the transitions of an authoritative page-table entry
 * (ownership.c, where the state table is) and the one way to apply them.
 *
 * Every transition has one shape: a pure function of the entry seen and of
 * a request, which either fills in the entry to install (returning 0 or a
 * non-negative action) or refuses (a negative errno). morsel_pte_update()
 * is the only compare-and-swap loop around them, in the manner of LLFree's
 * atom_update(): side effects (write-back, unmapping, recalls) happen
 * before or after it, never inside. A step may be applied again to the
 * entry that won a race; a caller whose side effect was valid only for the
 * entry it saw (it wrote that page back, it judged that entry's hosts
 * dead) names that entry in @expect, and then nothing else is replaced.
 */
#ifndef _MM_MORSEL_OWNERSHIP_H
#define _MM_MORSEL_OWNERSHIP_H

#include <linux/errno.h>
#include <linux/types.h>
#include <uapi/linux/morsel_pte.h>
#include "pool_atomic.h"

/* struct morsel_own_req.flags */
#define MORSEL_OWN_WRITE	BIT(0)	/* fault, fill: exclusive access */
#define MORSEL_OWN_DOWNGRADE	BIT(1)	/* release: keep a read copy */

/**
 * struct morsel_own_req - what a transition is asked to do.
 * @host: the host acting; for morsel_own_host_failed() the dead host.
 * @flags: MORSEL_OWN_*.
 * @frame: morsel_own_fill(): the frame allocated for the page.
 * @expect: not 0: apply the step to this entry only (see above).
 * @linked: morsel_own_fault(): hosts that may read the page through the
 *	pool's hardware table of its 2 MiB (pooltable.c), whom a writer
 *	revokes as it revokes readers.
 */
struct morsel_own_req {
	u32 host;
	u32 flags;
	u64 frame;
	u64 expect;
	u32 linked;
};

/* What morsel_own_fault() tells the faulting host to do next. */
enum morsel_own_action {
	MORSEL_OWN_GRANTED,	/* installed (or nothing to change): map it */
	MORSEL_OWN_NEED_FRAME,	/* first touch: allocate a frame, fill */
	MORSEL_OWN_RECALL,	/* ask the exclusive owner to give it up */
	MORSEL_OWN_INVALIDATE,	/* BUSY installed: revoke the readers */
	MORSEL_OWN_WAIT,	/* another host is in transition */
};

typedef int (*morsel_own_step_t)(u64 e, const struct morsel_own_req *req,
				 u64 *new);

u64 morsel_pte_make(u32 state, u32 owner, u32 readers, u64 frame1, u64 seq);
bool morsel_pte_valid(u64 e);
int morsel_own_fault(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_fill(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_busy_done(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_release(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_drop_reader(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_leave(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_host_failed(u64 e, const struct morsel_own_req *req, u64 *new);
int morsel_own_punch(u64 e, const struct morsel_own_req *req, u64 *new);

/* Does @host own the page exclusively / hold a read copy, by entry @e? */
static inline bool morsel_pte_owned_by(u64 e, u32 host)
{
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_EXCLUSIVE &&
	       MORSEL_PTE_OWNER(e) == host;
}

static inline bool morsel_pte_read_by(u64 e, u32 host)
{
	return MORSEL_PTE_STATE(e) == MORSEL_PTE_SHARED &&
	       (MORSEL_PTE_READERS(e) & BIT(host));
}

/**
 * morsel_pte_update() - apply a transition to a page's entry atomically.
 * @pte: the entry, in the coherent region.
 * @step: the transition.
 * @req: what it is asked.
 * @old: the entry the transition was applied to.
 * @new: the entry installed (equal to *@old when the step changed
 *	nothing); undefined when the return is negative.
 *
 * Applies @step to the entry seen and installs its result with one
 * compare-and-swap; when another host changed the entry meanwhile, applies
 * @step again to the entry it installed, unless @req names the entry to
 * expect. A step that refuses or changes nothing ends the loop without a
 * write.
 *
 * Return: what @step returned for the entry in *@old, or -EAGAIN if it
 * is not the entry @req expects.
 */
static inline int morsel_pte_update(u64 *pte, morsel_own_step_t step,
				    const struct morsel_own_req *req,
				    u64 *old, u64 *new)
{
	u64 seen;
	int ret;

	for (*old = READ_ONCE(*pte);; *old = seen) {
		if (req->expect && *old != req->expect)
			return -EAGAIN;
		ret = step(*old, req, new);
		if (ret < 0 || *new == *old)
			return ret;
		seen = pool_cmpxchg(pte, *old, *new);
		if (seen == *old)
			return ret;
	}
}

#endif /* _MM_MORSEL_OWNERSHIP_H */
