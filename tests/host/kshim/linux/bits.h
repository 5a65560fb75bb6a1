/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MORSEL_KSHIM_BITS_H
#define MORSEL_KSHIM_BITS_H
#define BIT(n) (1UL << (n))
#endif
