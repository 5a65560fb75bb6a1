/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MORSEL_KSHIM_CACHE_H
#define MORSEL_KSHIM_CACHE_H
/* x86-64: the kernel's L1_CACHE_BYTES */
#define ____cacheline_aligned __attribute__((__aligned__(64)))
#endif
