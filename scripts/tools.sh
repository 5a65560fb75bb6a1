#!/bin/bash
# Build libbpf (static) and bpftool (static, for the guests) from the
# kernel tree's tools/, into $KTOOLS; copy bpftool to out/guest/.
# Debian's libbpf 1.1 is too old for .struct_ops.link.
set -euo pipefail
. "$(dirname "$0")/config.sh"

[[ -d $KSRC/tools/lib/bpf ]] || die "kernel tree missing: run scripts/kernel.sh first"
mkdir -p "$KTOOLS/libbpf" "$KTOOLS/bpftool" "$OUT/guest"
log "building libbpf.a"
make -s -C "$KSRC/tools/lib/bpf" OUTPUT="$KTOOLS/libbpf/" \
	DESTDIR="$KTOOLS/libbpf/root" prefix= -j"$NPROC" \
	install_headers "$KTOOLS/libbpf/libbpf.a" >/dev/null
# No BPF skeletons inside bpftool itself (pid iterators, profiler): they
# need a vmlinux.h of the build machine, and the guests do not need them.
if [[ ! -x $KTOOLS/bpftool/bpftool || $KSRC/tools/bpf/bpftool -nt $KTOOLS/bpftool/bpftool ]]; then
	log "building bpftool (static)"
	make -s -C "$KSRC/tools/bpf/bpftool" OUTPUT="$KTOOLS/bpftool/" -j"$NPROC" \
		EXTRA_LDFLAGS=-static feature-clang-bpf-co-re=0 feature-llvm=0 \
		feature-libbfd=0 feature-libcap=0 >/dev/null
fi
cp "$KTOOLS/bpftool/bpftool" "$OUT/guest/bpftool"
log "libbpf: $KTOOLS/libbpf/libbpf.a, bpftool: out/guest/bpftool"
