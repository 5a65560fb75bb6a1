// SPDX-License-Identifier: GPL-2.0-only
/*
 * The minimum hold: a page that a write fault took stays with this host for
 * a short window (Mirage's delta, SOSP '89), so that the faulting store,
 * retried when the fault returns, happens before a recall can take the page
 * back. Without it a writer and a reader of one page can take it from each
 * other forever: the writer's grant is downgraded by the reader's recall
 * between the fault's return and the retried store, while the reader's
 * compare-and-swap keeps failing on the writer's changes (spin finds that
 * cycle in tests/ownership.pml with -DNO_HOLD, and none with the hold).
 *
 * The window is a time, not "until written": the store is made by the CPU
 * through a PTE that the fault installs dirty, so nothing observes it. A
 * recall (downgrade or invalidate) of a held page is parked for what is
 * left of the window, as a policy's deferral is (recall.c), and within the
 * same bound per sender and lease period: the hold never makes a sender
 * wait past its lease. morsel.min_hold_us = 0 turns it off (for A/B).
 *
 * The hold begins when a write fault first looks at the entry, not when it
 * is granted: a compare-and-swap outside ov->lock (a fill, the end of a
 * readers' revocation) can make the page this host's before the fault
 * maps it, and that is the moment the cycle needs.
 *
 * Each overlay remembers its last MORSEL_HOLD_SLOTS write faults (a fault
 * per vCPU at a time is what needs protecting), under ov->lock.
 */
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include "overlay.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "morsel."

static unsigned int min_hold_us = 100;
module_param(min_hold_us, uint, 0644);
MODULE_PARM_DESC(min_hold_us, "a page a write fault took is kept this long against recalls (0: off)");

/**
 * morsel_hold_note() - remember that @page is held until @until.
 * @h: the overlay's holds.
 * @page: page index.
 * @now: the time now (ktime ns).
 * @until: when the hold ends (ktime ns).
 *
 * Takes the page's own slot, else a free or expired one, else the one that
 * ends first (the oldest grant, the least likely to be mid-retry). An
 * @until that is not after @now ends the page's hold and no other.
 */
void morsel_hold_note(struct morsel_holds *h, u64 page, u64 now, u64 until)
{
	unsigned int i, victim = 0;

	for (i = 0; i < MORSEL_HOLD_SLOTS; i++) {
		if (h->until[i] > now && h->page[i] == page) {
			h->until[i] = until;
			return;
		}
		if (h->until[i] < h->until[victim])
			victim = i;
	}
	if (until <= now)
		return;
	h->page[victim] = page;
	h->until[victim] = until;
}

/**
 * morsel_hold_left() - how long @page is still held.
 * @h: the overlay's holds.
 * @page: page index.
 * @now: the time now (ktime ns).
 *
 * Return: nanoseconds left, 0 if the page is not held.
 */
u64 morsel_hold_left(const struct morsel_holds *h, u64 page, u64 now)
{
	unsigned int i;

	for (i = 0; i < MORSEL_HOLD_SLOTS; i++)
		if (h->page[i] == page && h->until[i] > now)
			return h->until[i] - now;
	return 0;
}

/**
 * morsel_hold_set() - a write fault's hold of @page.
 * @ov: the overlay.
 * @page: page index.
 * @step: MORSEL_HOLD_TAKING while the fault takes the page (held until it
 *	is granted), MORSEL_HOLD_GRANTED when it maps it (held for the
 *	window), MORSEL_HOLD_NONE when the fault failed.
 *
 * Context: ov->lock held.
 */
void morsel_hold_set(struct morsel_overlay *ov, u64 page, enum morsel_hold_step step)
{
	u64 us = READ_ONCE(min_hold_us), now;

	lockdep_assert_held(&ov->lock);
	if (!us)
		return;
	now = ktime_get_ns();
	morsel_hold_note(&ov->holds, page, now,
			 step == MORSEL_HOLD_TAKING ? U64_MAX :
			 step == MORSEL_HOLD_GRANTED ? now + us * NSEC_PER_USEC : now);
}

/**
 * morsel_hold_left_us() - how long a recall of @page must wait.
 * @ov: the overlay.
 * @page: page index.
 *
 * A page still being taken waits a whole window: by then it is granted and
 * the retried store has had its time.
 *
 * Context: the handler thread; takes ov->lock.
 * Return: microseconds, rounded up; 0 if @page is not held.
 */
u32 morsel_hold_left_us(struct morsel_overlay *ov, u64 page)
{
	u64 us = READ_ONCE(min_hold_us), left;

	mutex_lock(&ov->lock);
	left = morsel_hold_left(&ov->holds, page, ktime_get_ns());
	mutex_unlock(&ov->lock);
	return min(DIV_ROUND_UP_ULL(left, NSEC_PER_USEC), us);
}
