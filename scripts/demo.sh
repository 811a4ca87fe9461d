#!/usr/bin/env bash
# Build the kernel of the work tree, boot it in QEMU with an emulated IOMMU
# (VT-d on x86_64, SMMUv3 on arm64) and the edu device, and run
# guest/edu_dma -v: a user program that attaches edu through the vfio cdev
# and iommufd and points its DMA at a mapped and at an unmapped IOVA.
# Prints what the program saw.
# usage: scripts/demo.sh [ARCH]   (x86_64, the default, or arm64)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
case "$arch" in
x86_64) driver_lines='DMAR: (\[DMA|DRHD: handling)' ;;
arm64)  driver_lines='arm-smmu-v3 .*: (event|	0x)' ;;
*) die "make demo: ARCH must be x86_64 or arm64, not '$arch'" ;;
esac

"$TOP/scripts/deps.sh"
if [ ! -d "$BUILD/linux/.git" ]; then
	"$TOP/scripts/make-tree.sh"
else
	status "using the work tree build/linux as it is ($(git -C "$BUILD/linux" rev-list --count base..HEAD) commits on the base)"
fi
"$TOP/scripts/build-kernel.sh" "$arch"
"$TOP/scripts/build-initramfs.sh" "$arch"
"$TOP/scripts/run-vm.sh" "$arch-demo" || true

log=$LOGS/vm-$arch-demo.log
echo
echo "---- what the program in the guest printed ----"
tr -d '\r' <"$log" | sed -n '/^### TAP BEGIN edu_demo$/,/^### TAP END/p' |
	sed '1d;$d' | { grep -v '^TAP version\|^1\.\.' || true; } | sed 's/^# //'
echo "---- the IOMMU driver's lines in the guest's kernel log ----"
tr -d '\r' <"$log" | grep -E "^\[ *[0-9.]+\] $driver_lines" | sed 's/^\[ *[0-9.]*\] //' ||
	echo "(none)"
echo "-----------------------------------------------"
python3 "$TOP/scripts/report.py" --log "$log" --tree "$BUILD/linux" --expect edu_demo
