/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The encoding of an authoritative page-table entry, apart from the rest of
 * the UAPI so that BPF policies (which see kernel types via vmlinux.h) can
 * include it too. Macros only.
 */
#ifndef _UAPI_LINUX_MORSEL_PTE_H
#define _UAPI_LINUX_MORSEL_PTE_H

/*
 * An authoritative page-table entry (8 bytes of coherent memory per page),
 * as MORSEL_OBJ_ENTRIES returns it:
 *   bits  0-1   state: NONE (no frame), SHARED, EXCLUSIVE, BUSY (a writer
 *               is revoking the readers)
 *   bits  2-5   owner: the writer (EXCLUSIVE) or the acquirer (BUSY)
 *   bits  6-21  readers: hosts allowed to map the page read-only
 *   bits 22-49  frame + 1 in the data region (0: none)
 *   bits 50-63  sequence, incremented by every transition
 */
#define MORSEL_PTE_NONE		0
#define MORSEL_PTE_SHARED	1
#define MORSEL_PTE_EXCLUSIVE	2
#define MORSEL_PTE_BUSY		3

#define MORSEL_PTE_STATE_SHIFT		0
#define MORSEL_PTE_STATE_MASK		0x3
#define MORSEL_PTE_OWNER_SHIFT		2
#define MORSEL_PTE_OWNER_MASK		0xf
#define MORSEL_PTE_READERS_SHIFT	6
#define MORSEL_PTE_READERS_MASK		0xffff
#define MORSEL_PTE_FRAME_SHIFT		22
#define MORSEL_PTE_FRAME_MASK		0xfffffff
#define MORSEL_PTE_SEQ_SHIFT		50
#define MORSEL_PTE_SEQ_MASK		0x3fff

#define MORSEL_PTE_FIELD(e, f) \
	(((__u64)(e) >> MORSEL_PTE_##f##_SHIFT) & MORSEL_PTE_##f##_MASK)
#define MORSEL_PTE_STATE(e)	((__u32)MORSEL_PTE_FIELD(e, STATE))
#define MORSEL_PTE_OWNER(e)	((__u32)MORSEL_PTE_FIELD(e, OWNER))
#define MORSEL_PTE_READERS(e)	((__u32)MORSEL_PTE_FIELD(e, READERS))
#define MORSEL_PTE_FRAME1(e)	((__u64)MORSEL_PTE_FIELD(e, FRAME))
#define MORSEL_PTE_SEQ(e)	((__u32)MORSEL_PTE_FIELD(e, SEQ))

#endif /* _UAPI_LINUX_MORSEL_PTE_H */
