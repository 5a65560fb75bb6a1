/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ownership counters, listed once. Each overlay counts its events and
 * the host sums them. This list generates the counter enum (policy.h:
 * MORSEL_CNT_*, which BPF policies read by number through
 * bpf_morsel_obj_counter()), the /sys/kernel/morsel/ownership files and
 * the debugfs objects columns (the names in lower case, overlay.c) and the
 * counters of MORSEL_OBJ_STAT, whose UAPI fields are in this order.
 *
 * Include with MORSEL_COUNTER(name) defined; it is undefined at the end.
 * No include guard: every use includes it again.
 */
MORSEL_COUNTER(READ_FAULTS)	/* faults for read access */
MORSEL_COUNTER(WRITE_FAULTS)	/* faults for write access */
MORSEL_COUNTER(TRANSFERS)	/* exclusive access taken from other hosts */
MORSEL_COUNTER(RECALLS_SENT)	/* recalls sent, one per host asked */
MORSEL_COUNTER(RECALLS_HANDLED)	/* recalls of other hosts answered */
MORSEL_COUNTER(WRITEBACKS)	/* pages written back */
MORSEL_COUNTER(INVALIDATES)	/* copies dropped */
MORSEL_COUNTER(SHOOTDOWNS)	/* pages unmapped on this host */
MORSEL_COUNTER(LINKS)		/* PMDs linked to the overlay's tables */
MORSEL_COUNTER(UNLINKS)		/* PMDs unlinked by unmap */
MORSEL_COUNTER(TABLES)		/* PTE tables made for the overlay */
MORSEL_COUNTER(PREFILLS)	/* pages mapped when a table was made */
MORSEL_COUNTER(POOL_LINKS)	/* of the links: to the pool's hardware tables */
MORSEL_COUNTER(PRIVATIZED)	/* chunks that left the pool's table for one of ours */
MORSEL_COUNTER(RELINKS)		/* chunks whose table of ours went, back to the pool's */
MORSEL_COUNTER(HELD)		/* recalls parked by the minimum hold (hold.c) */
MORSEL_COUNTER(PAGES_COPIED)	/* host-local copies filled from the pool (copy.c) */
MORSEL_COUNTER(BYTES_FROM_POOL)	/* bytes copied from the pool into copies */
MORSEL_COUNTER(BYTES_TO_POOL)	/* bytes written back (changed words, dirty lines, pages) */
MORSEL_COUNTER(LINES_FLUSHED)	/* cache lines written back by clwb, dirty or not */
MORSEL_COUNTER(LINES_DIRTY)	/* lines of a write-back that had changed (where known) */
MORSEL_COUNTER(COPY_PAGES)	/* host-local copies held now: a level, not a count */
#undef MORSEL_COUNTER
