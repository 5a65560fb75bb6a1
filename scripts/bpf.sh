#!/bin/bash
# Build the ownership policies (bpf/*.bpf.c), the test fixtures
# (tests/bpf/*.bpf.c) and the loader (loader/morsel-policy.c, static, with
# the policies' libbpf skeletons) against our kernel's BTF:
#   out/bpf/vmlinux.h        from $KOBJ/vmlinux (regenerated when it changes)
#   out/bpf/NAME.bpf.o       clang-19 -target bpf
#   out/bpf/NAME.skel.h      bpftool gen skeleton
#   out/guest/morsel-policy  the loader, for the initramfs
set -euo pipefail
. "$(dirname "$0")/config.sh"

B=$OUT/bpf
BPFTOOL=$OUT/guest/bpftool
LIBBPF=$KTOOLS/libbpf
[[ -x $BPFTOOL && -f $LIBBPF/libbpf.a ]] || die "bpftool/libbpf missing: run scripts/tools.sh"
[[ -f $KOBJ/vmlinux ]] || die "$KOBJ/vmlinux missing: run scripts/kernel.sh build"
mkdir -p "$B" "$OUT/guest"

if [[ ! -s $B/vmlinux.h || $KOBJ/vmlinux -nt $B/vmlinux.h ]]; then
	log "vmlinux.h from our kernel's BTF"
	"$BPFTOOL" btf dump file "$KOBJ/vmlinux" format c >"$B/vmlinux.h.tmp"
	mv "$B/vmlinux.h.tmp" "$B/vmlinux.h"
fi

# Same flags as tools/sched_ext: BTF (-g), BPF ISA v3, x86 register names.
BPF_CFLAGS=(-g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror
	-I "$B" -I "$LIBBPF/root/include" -I "$REPO/include/uapi" -I "$REPO/bpf")
compile() {	# compile SRC -> out/bpf/NAME.bpf.o
	local src=$1 name
	name=$(basename "$src" .bpf.c)
	if [[ ! -s $B/$name.bpf.o || $src -nt $B/$name.bpf.o || $B/vmlinux.h -nt $B/$name.bpf.o ||
		$REPO/bpf/morsel_policy.bpf.h -nt $B/$name.bpf.o ||
		$REPO/bpf/policy_stats.h -nt $B/$name.bpf.o ]]; then
		"$CLANG" "${BPF_CFLAGS[@]}" -c "$src" -o "$B/$name.bpf.o"
	fi
}
policies=()
for src in "$REPO"/bpf/*.bpf.c; do
	compile "$src"
	name=$(basename "$src" .bpf.c)
	policies+=("$name")
	"$BPFTOOL" gen skeleton "$B/$name.bpf.o" name "${name}_bpf" >"$B/$name.skel.h.tmp"
	cmp -s "$B/$name.skel.h.tmp" "$B/$name.skel.h" || mv "$B/$name.skel.h.tmp" "$B/$name.skel.h"
	rm -f "$B/$name.skel.h.tmp"
done
for src in "$REPO"/tests/bpf/*.bpf.c; do
	compile "$src"
done

gcc -std=c11 -Wall -Wextra -Werror -O2 -static -I "$B" -I "$REPO/bpf" \
	-I "$LIBBPF/root/include" -o "$OUT/guest/morsel-policy" \
	"$REPO/loader/morsel-policy.c" "$LIBBPF/libbpf.a" -lelf -lz -lzstd
log "policies: ${policies[*]}; loader: out/guest/morsel-policy"
