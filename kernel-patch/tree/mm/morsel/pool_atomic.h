/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Atomic read-modify-write on pool memory.
 *
 * Pool memory is shared with other hosts, so an atomic there must be
 * atomic against every host, whatever the number of CPUs of this one. The
 * kernel's cmpxchg(), atomic_*() and test_and_set_bit() do not promise
 * that: on x86 a kernel that boots with one present CPU rewrites their LOCK
 * prefixes into no-ops (alternatives_smp_unlock()) until a second CPU comes
 * online. A one-CPU host then updates ownership entries with a plain
 * read-compare-write that another host's cmpxchg can slip into; both
 * succeed from the same old entry (seen under QEMU MTTCG with -smp 1:
 * two hosts each installed their transition of one page entry).
 *
 * sync_cmpxchg() is the kernel's primitive for memory shared with another
 * agent (it exists for the Xen hypervisor) and is never patched. Every
 * read-modify-write of pool memory goes through the helpers below, built on
 * it; plain loads, stores and xchg() (implicitly locked on x86) need none.
 */
#ifndef _MM_MORSEL_POOL_ATOMIC_H
#define _MM_MORSEL_POOL_ATOMIC_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/compiler.h>

/* cmpxchg() on pool memory: returns the old value, as cmpxchg() does. */
#define pool_cmpxchg(ptr, old, new) sync_cmpxchg(ptr, old, new)

/* Atomically OR @bits into *@p; returns the old value. */
static inline u32 pool_or32(u32 *p, u32 bits)
{
	u32 old = READ_ONCE(*p), seen;

	while ((seen = pool_cmpxchg(p, old, old | bits)) != old)
		old = seen;
	return old;
}

/* Atomically AND *@p with @mask; returns the old value. */
static inline u32 pool_and32(u32 *p, u32 mask)
{
	u32 old = READ_ONCE(*p), seen;

	while ((seen = pool_cmpxchg(p, old, old & mask)) != old)
		old = seen;
	return old;
}

/* test_and_set_bit() on a bitmap in pool memory. */
static inline bool pool_test_and_set_bit(unsigned long nr, unsigned long *map)
{
	unsigned long *w = map + BIT_WORD(nr), mask = BIT_MASK(nr);
	unsigned long old = READ_ONCE(*w), seen;

	while (!(old & mask) && (seen = pool_cmpxchg(w, old, old | mask)) != old)
		old = seen;
	return old & mask;
}

/* test_and_clear_bit() on a bitmap in pool memory. */
static inline bool pool_test_and_clear_bit(unsigned long nr, unsigned long *map)
{
	unsigned long *w = map + BIT_WORD(nr), mask = BIT_MASK(nr);
	unsigned long old = READ_ONCE(*w), seen;

	while ((old & mask) && (seen = pool_cmpxchg(w, old, old & ~mask)) != old)
		old = seen;
	return old & mask;
}

#endif /* _MM_MORSEL_POOL_ATOMIC_H */
