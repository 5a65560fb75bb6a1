#!/bin/bash
# Print "kvm" if a KVM guest boots our kernel to init here, else "tcg".
# /dev/kvm on the development machines is a nested shadow-paging hypervisor
# on which a normal guest never leaves the decompressor (notes/emulation.md),
# so KVM is used only where a short probe boot succeeds. The answer is
# cached per host kernel and QEMU version; MORSEL_ACCEL=tcg|kvm overrides.
set -uo pipefail
. "$(dirname "$0")/config.sh"

if [[ -n ${MORSEL_ACCEL:-} ]]; then
	echo "$MORSEL_ACCEL"
	exit 0
fi
if [[ ! -w /dev/kvm ]]; then
	echo tcg
	exit 0
fi
key="$(uname -r)-$(qemu-system-x86_64 --version | head -1 | tr -c 'A-Za-z0-9.\n' _)"
cache=$MORSEL_CACHE/kvm-probe-$key
if [[ -f $cache ]]; then
	cat "$cache"
	exit 0
fi
log "probing KVM (one 20 s boot, cached in $cache)"
tmp=$(mktemp -d)
timeout -s KILL 20 qemu-system-x86_64 -accel kvm -cpu host -m 256M -smp 1 \
	-nodefaults -no-user-config -display none -nic none -no-reboot \
	-kernel "$OUT/bzImage" -initrd "$OUT/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 quiet mjob=probe" \
	-serial "file:$tmp/log" </dev/null >/dev/null 2>&1
if grep -q MORSEL-PROBE-OK "$tmp/log" 2>/dev/null; then
	echo kvm | tee "$cache"
else
	echo tcg | tee "$cache"
fi
rm -rf "$tmp"
