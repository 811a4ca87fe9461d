#!/usr/bin/env bash
# Make the test initramfs for one architecture: static busybox, guest/init,
# the iommu kselftests and guest programs, packed by the tree's
# usr/gen_init_cpio.
# usage: scripts/build-initramfs.sh ARCH [TREE [OUT]]   (as build-kernel.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 ARCH [TREE [OUT]]"
arch=$1
tree=$(realpath "${2:-$BUILD/linux}")
out=$(realpath "${3:-$BUILD/$arch}")
arch_setup "$arch"
gen=$out/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen is missing; build the kernel first (scripts/build-kernel.sh $arch)"

# A static busybox of the guest's architecture.
case "$arch" in
x86_64)
	busybox=/bin/busybox
	[ -x "$busybox" ] || die "/bin/busybox missing: install busybox-static" ;;
arm64)
	busybox=$CACHE/busybox-arm64/bin/busybox
	if [ ! -x "$busybox" ]; then
		status "fetching busybox-static:arm64"
		mkdir -p "$CACHE/debs"
		if ! ls "$CACHE"/debs/busybox-static_*_arm64.deb >/dev/null 2>&1; then
			(cd "$CACHE/debs" && apt-get download busybox-static:arm64) >"$LOGS/busybox-arm64.log" 2>&1 || {
				dpkg --add-architecture arm64
				apt-get update >>"$LOGS/busybox-arm64.log" 2>&1
				(cd "$CACHE/debs" && run_logged "$LOGS/busybox-arm64.log" apt-get download busybox-static:arm64)
			}
		fi
		rm -rf "$CACHE/busybox-arm64"
		dpkg-deb -x "$(ls "$CACHE"/debs/busybox-static_*_arm64.deb | head -n 1)" "$CACHE/busybox-arm64"
	fi ;;
esac

# Guest programs, static, against the tree's uAPI headers.
mkdir -p "$out/guest"
run_logged "$LOGS/guest-$arch.log" \
	"$TARGET_CC" -O2 -Wall -Wextra -Werror -static -isystem "$out/usr/include" \
		-o "$out/guest/edu_dma" "$TOP/guest/edu_dma.c"
# (make bench's program: it uses the mock driver's test commands)
run_logged "$LOGS/guest-bench-$arch.log" \
	"$TARGET_CC" -O2 -Wall -Wextra -Werror -static -isystem "$out/usr/include" \
		-I "$tree/drivers/iommu/iommufd" \
		-o "$out/guest/iommufd_bench" "$TOP/guest/iommufd_bench.c" -lpthread

ks=$out/kselftest/iommu
list=$out/initramfs.list
cat >"$list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /tmp 1777 0 0
dir /bin 0755 0 0
file /init $TOP/guest/init 0755 0 0
file /bin/busybox $busybox 0755 0 0
slink /bin/sh busybox 0777 0 0
file /bin/iommufd $ks/iommufd 0755 0 0
file /bin/iommufd_fail_nth $ks/iommufd_fail_nth 0755 0 0
LIST
# A test that a patch of the series adds (absent from earlier commits)
for t in iommufd_edu iommufd_fault_storm iommufd_smmuv3_nested; do
	if [ -x "$ks/$t" ]; then
		echo "file /bin/$t $ks/$t 0755 0 0" >>"$list"
	fi
done
cat >>"$list" <<LIST
file /bin/edu_dma $out/guest/edu_dma 0755 0 0
file /bin/iommufd_bench $out/guest/iommufd_bench 0755 0 0
LIST
"$gen" "$list" | gzip -1 >"$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
status "initramfs ready: $out/initramfs.cpio.gz"
