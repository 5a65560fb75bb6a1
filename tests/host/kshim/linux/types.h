/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel types for host-side tools that read the pool with the kernel's
 * own definition of its layout (mm/morsel/layout.h).
 */
#ifndef MORSEL_KSHIM_TYPES_H
#define MORSEL_KSHIM_TYPES_H
#include_next <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
#endif
