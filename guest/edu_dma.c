// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: drive QEMU's "edu" PCI device through the vfio device cdev and
 * iommufd, and check what the IOMMU does with its DMA.
 *
 *  1. DMA to an IOVA that is mapped in the IOAS: the data must round-trip
 *     (memory -> edu buffer -> memory).
 *  2. DMA from an IOVA that is not mapped: the IOMMU must block it, and the
 *     kernel log must show the IOMMU driver's fault line for that address.
 *     (With the 6.12 base this is the only place the fault shows up.)
 *
 * Output is TAP (kselftest style); -v adds a narration for the demo.
 * usage: edu_dma [-v]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_REG_ID	0x00
#define EDU_REG_CHECK	0x04
#define EDU_REG_DMA_SRC	0x80
#define EDU_REG_DMA_DST	0x88
#define EDU_REG_DMA_CNT	0x90
#define EDU_REG_DMA_CMD	0x98
#define EDU_DMA_START	0x1
#define EDU_DMA_TO_RAM	0x2	/* edu buffer -> memory; clear: memory -> edu */
#define EDU_BUF		0x40000	/* the device-side DMA buffer */

#define IOVA_MAPPED	0x100000ULL
#define IOVA_UNMAPPED	0x200000ULL	/* below edu's 28-bit DMA mask */
#define LEN		4096	/* the mapped buffer */
/*
 * Bytes per DMA: QEMU's edu refuses (and aborts on) a transfer that ends
 * exactly at the end of its 4 KiB buffer, so stay below it.
 */
#define DMA_LEN		1024

static int verbose;
static int ntest, nfail;
static char arch_pattern[64];
static int window = 1;	/* lines after the pattern that may hold the address */

static void say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void result(int ok, const char *name, const char *why)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ntest, name,
	       why ? " # " : "", why ? why : "");
	fflush(stdout);
}

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned int read_hex(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoul(buf, NULL, 0);
}

/* Find the vfio device cdev of the edu device: /dev/vfio/devices/vfioN. */
static int find_edu(char *cdev, size_t len)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/vfio-dev");
	char path[300];

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device/vendor", de->d_name);
		if (read_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device/device", de->d_name);
		if (read_hex(path) != EDU_DEVICE)
			continue;
		snprintf(cdev, len, "/dev/vfio/devices/%s", de->d_name);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -1;
}

static volatile void *bar0;

static uint32_t rd32(unsigned int off)
{
	return *(volatile uint32_t *)((volatile char *)bar0 + off);
}

static void wr32(unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)bar0 + off) = v;
}

static void wr64(unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)bar0 + off) = v;
}

/* Start one edu DMA and wait for the device to finish it. */
static int edu_dma(uint64_t src, uint64_t dst, uint32_t cmd)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	wr64(EDU_REG_DMA_SRC, src);
	wr64(EDU_REG_DMA_DST, dst);
	wr64(EDU_REG_DMA_CNT, DMA_LEN);
	wr64(EDU_REG_DMA_CMD, cmd | EDU_DMA_START);
	/* edu completes a DMA about 100 ms (virtual time) after the start. */
	for (i = 0; i < 1000; i++) {
		if (!(rd32(EDU_REG_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* The whole kernel log ring, as text. */
static char *klog_read(int *len)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;

	if (size <= 0)
		size = 1 << 20;
	buf = calloc(1, size + 1);
	if (!buf)
		bail("calloc");
	*len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (*len < 0)
		*len = 0;
	buf[*len] = 0;
	return buf;
}

/* Wait up to 5 s for a new kernel log line that reports the IOMMU fault. */
static int wait_fault_line(const char *before, char *line, size_t len)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char iova[32];
	int i, n;

	snprintf(iova, sizeof(iova), "%llx", IOVA_UNMAPPED);
	for (i = 0; i < 100; i++) {
		char *log = klog_read(&n), *p, *hit = NULL;
		size_t skip = strlen(before);

		/* The ring may have wrapped; then search it all. */
		p = strncmp(log, before, skip) ? log : log + skip;
		for (p = strstr(p, arch_pattern); p; p = strstr(p + 1, arch_pattern)) {
			/*
			 * The address is on the line (VT-d) or in the record
			 * dump of the next lines (SMMUv3).
			 */
			char *end = p, *a;
			int l;

			for (l = 0; l < window && end; l++)
				end = strchr(end + 1, '\n');
			a = strstr(p, iova);
			if (a && (!end || a < end)) {
				hit = p;
				break;
			}
		}
		if (hit) {
			char *eol = strchr(hit, '\n');

			while (hit > log && hit[-1] != '\n')
				hit--;
			/* drop the "<level>" of the raw log */
			if (*hit == '<' && strchr(hit, '>') && strchr(hit, '>') < eol)
				hit = strchr(hit, '>') + 1;
			n = eol ? eol - hit : (int)strlen(hit);
			snprintf(line, len, "%.*s", n, hit);
			free(log);
			return 0;
		}
		free(log);
		nanosleep(&ts, NULL);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct vfio_region_info bar = { .argsz = sizeof(bar), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	char cdev[300], line[512];
	unsigned char *buf;
	uint16_t command;
	int iommufd, devfd, n, i;
	char *before;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
#if defined(__x86_64__)
	snprintf(arch_pattern, sizeof(arch_pattern), "DMAR: [DMA Read");
#elif defined(__aarch64__)
	snprintf(arch_pattern, sizeof(arch_pattern), "arm-smmu-v3");
	window = 5;
#endif
	printf("TAP version 13\n1..4\n");

	if (find_edu(cdev, sizeof(cdev))) {
		printf("1..0 # SKIP no edu device bound to vfio-pci (QEMU without -device edu?)\n");
		return 4;
	}
	say("edu device: %s", cdev);
	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0)
		bail("open /dev/iommu");
	devfd = open(cdev, O_RDWR);
	if (devfd < 0)
		bail(cdev);

	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		bail("VFIO_DEVICE_BIND_IOMMUFD");
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas))
		bail("IOMMU_IOAS_ALLOC");
	attach.pt_id = ioas.out_ioas_id;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		bail("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	say("bound to iommufd as device %u, attached to IOAS %u (HWPT %u)",
	    bind.out_devid, ioas.out_ioas_id, attach.pt_id);

	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		bail("mmap buffer");
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = LEN;
	map.iova = IOVA_MAPPED;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		bail("IOMMU_IOAS_MAP");
	say("mapped %d bytes at IOVA 0x%llx; IOVA 0x%llx is not mapped",
	    LEN, IOVA_MAPPED, IOVA_UNMAPPED);

	if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &bar) ||
	    ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		bail("VFIO_DEVICE_GET_REGION_INFO");
	bar0 = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd, bar.offset);
	if (bar0 == MAP_FAILED)
		bail("mmap BAR0");
	/* Let the device master the bus. */
	if (pread(devfd, &command, 2, cfg.offset + 4) != 2)
		bail("read PCI command");
	command |= 0x4;
	if (pwrite(devfd, &command, 2, cfg.offset + 4) != 2)
		bail("write PCI command");

	/* 1: the device answers through BAR0 (the check register inverts). */
	wr32(EDU_REG_CHECK, 0x12345678);
	result((rd32(EDU_REG_ID) & 0xff) == 0xed && rd32(EDU_REG_CHECK) == ~0x12345678u,
	       "edu_bar0_responds", NULL);

	/* 2: memory -> edu -> memory through the mapped IOVA. */
	for (i = 0; i < DMA_LEN; i++)
		buf[i] = i * 7 + 3;
	n = edu_dma(IOVA_MAPPED, EDU_BUF, 0);
	memset(buf, 0, LEN);
	n = n ?: edu_dma(EDU_BUF, IOVA_MAPPED, EDU_DMA_TO_RAM);
	for (i = 0; !n && i < DMA_LEN; i++)
		if (buf[i] != (unsigned char)(i * 7 + 3))
			n = -1;
	say("DMA through mapped IOVA 0x%llx: %s", IOVA_MAPPED,
	    n ? "data did NOT round-trip" : "1024 bytes round-tripped");
	result(!n, "mapped_iova_round_trip", NULL);

	/* 3 and 4: a DMA read from the unmapped IOVA is blocked and logged. */
	before = klog_read(&n);
	wr32(EDU_REG_CHECK, 0);
	n = edu_dma(IOVA_UNMAPPED, EDU_BUF, 0);
	result(!n, "unmapped_iova_dma_completes", n ? "edu never finished the DMA" : NULL);
	say("DMA read from unmapped IOVA 0x%llx started; waiting for the IOMMU's report",
	    IOVA_UNMAPPED);
	n = wait_fault_line(before, line, sizeof(line));
	if (!n)
		say("the fault reached only the kernel log:\n#   %s", line);
	else
		say("no fault line for IOVA 0x%llx in the kernel log", IOVA_UNMAPPED);
	say("with the 6.12 base kernel nothing reaches this program: there is no");
	say("vIOMMU event queue to read the fault from (later patches add it)");
	result(!n, "unmapped_iova_fault_logged", NULL);
	free(before);

	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
