/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MORSEL_KSHIM_SIZES_H
#define MORSEL_KSHIM_SIZES_H
#define SZ_1M 0x00100000
#define SZ_4M 0x00400000
#define SZ_8K 0x00002000
#endif
