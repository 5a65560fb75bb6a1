// SPDX-License-Identifier: GPL-2.0
/*
 * poolimg: damage a pool file's superblock from the host side, for the
 * tests that a corrupt or incompatible pool is refused and left untouched.
 *
 *   poolimg FILE flip      change one byte covered by the checksum
 *   poolimg FILE version V set the layout version to V, checksum fixed up
 *   poolimg FILE garbage   overwrite the signature
 *
 * Offsets follow struct morsel_sb (mm/morsel/layout.h; KUnit checks them):
 * magic at 0, csum at 8, checksummed bytes from 12 to 176.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SB_CSUM_OFF 8
#define SB_VERSION_OFF 12
#define SB_END 176

int main(int argc, char **argv)
{
	unsigned char sb[SB_END];
	uint32_t v;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: poolimg FILE flip|version V|garbage\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || pread(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb)) {
		perror(argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "flip")) {
		sb[SB_VERSION_OFF + 8] ^= 0x40;	/* inside pool_size */
	} else if (!strcmp(argv[2], "version") && argc > 3) {
		v = (uint32_t)strtoul(argv[3], NULL, 0);
		memcpy(sb + SB_VERSION_OFF, &v, sizeof(v));
		v = (uint32_t)crc32(0, sb + SB_VERSION_OFF, SB_END - SB_VERSION_OFF);
		memcpy(sb + SB_CSUM_OFF, &v, sizeof(v));
	} else if (!strcmp(argv[2], "garbage")) {
		memcpy(sb, "GARBAGE!", 8);
	} else {
		fprintf(stderr, "poolimg: unknown operation %s\n", argv[2]);
		return 2;
	}
	if (pwrite(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb)) {
		perror("pwrite");
		return 1;
	}
	return close(fd) ? 1 : 0;
}
