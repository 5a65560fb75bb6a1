# shellcheck shell=bash
# The one place where versions and fixed paths are set. Sourced by every script.

# Debian's kernel source package, pinned.
KERNEL_PKG=linux-source-6.12
KERNEL_PKG_VERSION=6.12.117-1~deb12u1
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz

# Build state lives outside any git checkout so that a fresh clone (CI)
# reuses the unpacked tree, the object tree and the compiler cache.
MORSEL_CACHE=${MORSEL_CACHE:-/var/cache/morsel}
KSRC=$MORSEL_CACHE/linux            # pristine source + our overlay, a git repo
# MORSEL_KVARIANT=debug: the sanitizer kernel (kernel-patch/config-debug on
# top of the fragment), in its own object tree, as out/bzImage-debug;
# MORSEL_KVARIANT=kcsan likewise the data-race kernel (config-kcsan).
KVARIANT=${MORSEL_KVARIANT:-}
KOBJ=$MORSEL_CACHE/obj${KVARIANT:+-$KVARIANT}   # out-of-tree kernel build (O=)
KTOOLS=$MORSEL_CACHE/tools          # libbpf, bpftool builds
export CCACHE_DIR=$MORSEL_CACHE/ccache
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

# Products of a build, inside the checkout (git-ignored).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/out

CLANG=${CLANG:-clang-19}
NPROC=$(nproc)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
