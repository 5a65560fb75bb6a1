#!/bin/bash
# Install every package the build, the hosts and the tests need (idempotent).
set -euo pipefail
. "$(dirname "$0")/config.sh"

PKGS=(
	"$KERNEL_PKG=$KERNEL_PKG_VERSION"
	build-essential bc bison flex libelf-dev zlib1g-dev libzstd-dev libssl-dev
	cpio lz4 xz-utils rsync dwarves ccache git
	clang-19 llvm-19 lld-19
	qemu-system-x86 busybox-static numactl linux-perf
	spin gnuplot-nox python3-ply python3-git python3-igraph
	sqlite3 libsqlite3-dev lmdb-utils liblmdb-dev tmux socat
)

missing=()
for p in "${PKGS[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[[ "$p" != *=* || "${have##* }" == "$want" ]] && continue ;;
	esac
	missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
fi
