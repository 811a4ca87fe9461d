# iommufd fault delivery for Linux 6.12: the front door.
# Each target is one script under scripts/; `make help` lists them.

.PHONY: help check demo bench tree export build boot checkpatch bisect clean

ARCH ?= x86_64
PROFILE ?= $(if $(filter arm64,$(ARCH)),arm64-smmuv3,x86_64-mock)

help:
	@echo "make check       the series applies, checkpatch, both builds, all tests in QEMU"
	@echo "make demo        boot x86_64 with VT-d + edu and show a DMA fault"
	@echo "                 (ARCH=arm64: SMMUv3 + edu)"
	@echo "make bench       fault delivery cost, patched against the base (not a test)"
	@echo "make tree        build/linux: the base plus patches/series as commits"
	@echo "make export      patches/ from build/linux (base..HEAD)"
	@echo "make build       build the work tree for ARCH=$(ARCH) (x86_64|arm64)"
	@echo "make boot        build/ARCH in QEMU, PROFILE=$(PROFILE), with the report"
	@echo "make checkpatch  checkpatch --strict on every patch, kernel-doc on changed files"
	@echo "make bisect      build every patch of build/linux on its own (ARCH=$(ARCH))"
	@echo "make clean       remove build/ (keeps ~/.cache/iommufd-series)"

check:
	@scripts/check.sh

demo:
	@scripts/demo.sh $(ARCH)

bench:
	@scripts/bench.sh

tree:
	@scripts/make-tree.sh  # WIP=1 also applies patches/wip/

export:
	@scripts/export.sh

build:
	@scripts/build-kernel.sh $(ARCH)
	@scripts/build-initramfs.sh $(ARCH)

boot:
	@scripts/run-vm.sh $(PROFILE) build/$(ARCH) || true
	@python3 scripts/report.py --log build/logs/vm-$(PROFILE).log --tree build/linux \
		$(if $(filter x86_64-vtd x86_64-vtd-sm x86_64-demo,$(PROFILE)),,--kunit)

checkpatch:
	@scripts/checkpatch.sh
	@scripts/kernel-doc-check.sh

bisect:
	@scripts/build-each.sh $(ARCH)

clean:
	rm -rf build
