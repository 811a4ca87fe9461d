// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: drive QEMU's "edu" PCI device through the vfio device cdev and
 * iommufd, and check what the IOMMU does with its DMA.
 *
 *  1. DMA to an IOVA that is mapped in the IOAS: the data must round-trip
 *     (memory -> edu buffer -> memory).
 *  2. DMA from an IOVA that is not mapped: the IOMMU must block it, and the
 *     kernel log must show the IOMMU driver's fault line for that address.
 *     (With the 6.12 base this is the only place the fault shows up.) The
 *     SMMUv3 driver logs only the events nobody takes: where this program
 *     has an event queue for the device, the line must not be there.
 *  3. With the series' uAPI (a core vIOMMU with a decoded event queue), the
 *     fault must also reach this program, decoded, with the device's
 *     virtual ID (VT-d and SMMUv3 decode their faults). Where the kernel
 *     has no such uAPI the test is skipped, with the reason.
 *
 * Output is TAP (kselftest style); -v adds a narration for the demo.
 * usage: edu_dma [-v]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define VIRT_ID 0x18	/* the virtual ID the "guest" gives edu */

/* IOMMU_VEVENTQ_ALLOC: the kernel headers have the vEVENTQ uAPI */
#ifdef IOMMU_VEVENTQ_ALLOC
static const char *const reasons[] = {
	[IOMMU_VEVENT_REASON_OTHER] = "other",
	[IOMMU_VEVENT_REASON_DEVICE_CONTEXT] = "device/context entry",
	[IOMMU_VEVENT_REASON_PASID_TABLE] = "PASID table",
	[IOMMU_VEVENT_REASON_S1_WALK] = "stage-1 walk",
	[IOMMU_VEVENT_REASON_S1_PERM] = "stage-1 permission",
	[IOMMU_VEVENT_REASON_S2_WALK] = "stage-2 walk",
	[IOMMU_VEVENT_REASON_S2_PERM] = "stage-2 permission",
	[IOMMU_VEVENT_REASON_S2_NO_ACCESS] =
		"stage-2: not present or no permission",
	[IOMMU_VEVENT_REASON_PERM] = "permission, stage unknown",
};

/*
 * Put the device on a paging HWPT of our own with a core vIOMMU on it, a
 * vDEVICE naming it VIRT_ID, and a decoded event queue: the fd of the
 * queue, or -1 where the kernel lacks that uAPI.
 */
static int setup_vevents(int iommufd, int devfd, __u32 dev_id, __u32 ioas_id)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_hwpt_alloc hwpt = { .size = sizeof(hwpt), .dev_id = dev_id,
					 .pt_id = ioas_id };
	struct iommu_viommu_alloc viommu = { .size = sizeof(viommu),
					     .type = IOMMU_VIOMMU_TYPE_CORE,
					     .dev_id = dev_id };
	struct iommu_vdevice_alloc vdev = { .size = sizeof(vdev),
					    .dev_id = dev_id, .virt_id = VIRT_ID };
	struct iommu_veventq_alloc veventq = { .size = sizeof(veventq),
					       .type = IOMMU_VEVENTQ_TYPE_DECODED,
					       .veventq_depth = 16 };

	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &hwpt))
		bail("IOMMU_HWPT_ALLOC");
	attach.pt_id = hwpt.out_hwpt_id;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		bail("VFIO_DEVICE_ATTACH_IOMMUFD_PT (HWPT)");
	viommu.hwpt_id = hwpt.out_hwpt_id;
	if (ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &viommu)) {
		say("no core vIOMMU in this kernel (%s)", strerror(errno));
		return -1;
	}
	vdev.viommu_id = viommu.out_viommu_id;
	if (ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &vdev))
		bail("IOMMU_VDEVICE_ALLOC");
	veventq.viommu_id = viommu.out_viommu_id;
	if (ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &veventq))
		bail("IOMMU_VEVENTQ_ALLOC");
	say("moved to HWPT %u, with vIOMMU %u: virtual ID 0x%x, decoded event queue fd %d",
	    hwpt.out_hwpt_id, viommu.out_viommu_id, VIRT_ID, veventq.out_veventq_fd);
	return veventq.out_veventq_fd;
}

/* An IOMMU whose class device name starts with prefix */
static int have_iommu(const char *prefix)
{
	struct dirent *de;
	int found = 0;
	DIR *d = opendir("/sys/class/iommu");

	while (d && (de = readdir(d)))
		found |= !strncmp(de->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return found;
}

/* 5: the fault reached this program, decoded */
static void check_vevent(int fd)
{
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_vevent_decoded ev;
	} e;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ok;

	if (fd < 0) {
		result(1, "unmapped_iova_fault_delivered",
		       "SKIP this kernel has no decoded vIOMMU event queue");
		return;
	}
	if (!have_iommu("dmar") && !have_iommu("smmu3.")) {
		result(1, "unmapped_iova_fault_delivered",
		       "SKIP only the VT-d and SMMUv3 drivers decode their DMA faults");
		return;
	}
	ok = poll(&pfd, 1, 10000) == 1 && read(fd, &e, sizeof(e)) == sizeof(e);
	if (ok) {
		say("the fault reached this program through the vIOMMU event queue:");
		say("  event %u: device 0x%llx, %s%s of IOVA 0x%llx, failed at: %s",
		    e.hdr.sequence, (unsigned long long)e.ev.virt_id,
		    e.ev.perm & IOMMU_PGFAULT_PERM_WRITE ? "write" : "read",
		    e.ev.flags & IOMMU_VEVENT_DECODED_PASID_VALID ? " with PASID" : "",
		    (unsigned long long)e.ev.addr,
		    e.ev.reason < sizeof(reasons) / sizeof(reasons[0]) &&
			    reasons[e.ev.reason] ? reasons[e.ev.reason] : "?");
		if (e.ev.vendor == IOMMU_VEVENT_VENDOR_ARM_SMMUV3)
			say("  raw SMMUv3 record: %016llx %016llx %016llx %016llx (event 0x%02llx)",
			    (unsigned long long)e.ev.raw[0],
			    (unsigned long long)e.ev.raw[1],
			    (unsigned long long)e.ev.raw[2],
			    (unsigned long long)e.ev.raw[3],
			    (unsigned long long)e.ev.raw[0] & 0xff);
		else
			say("  raw VT-d record: %016llx %016llx (fault reason 0x%02llx)",
			    (unsigned long long)e.ev.raw[1],
			    (unsigned long long)e.ev.raw[0],
			    (unsigned long long)(e.ev.raw[1] >> 32) & 0xff);
		ok = e.ev.virt_id == VIRT_ID && e.ev.addr == IOVA_UNMAPPED &&
		     e.ev.perm == IOMMU_PGFAULT_PERM_READ;
	} else {
		say("no event arrived on the vIOMMU event queue");
	}
	result(ok, "unmapped_iova_fault_delivered", NULL);
}
#else
static int setup_vevents(int iommufd, int devfd, __u32 dev_id, __u32 ioas_id)
{
	(void)iommufd; (void)devfd; (void)dev_id; (void)ioas_id;
	return -1;
}

static void check_vevent(int fd)
{
	(void)fd;
	say("with this kernel nothing reaches the program: there is no vIOMMU");
	say("event queue to read the fault from");
	result(1, "unmapped_iova_fault_delivered",
	       "SKIP this kernel has no decoded vIOMMU event queue");
}
#endif

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
	int veventq_fd;
	char *before;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
#if defined(__x86_64__)
	snprintf(arch_pattern, sizeof(arch_pattern), "DMAR: [DMA Read");
#elif defined(__aarch64__)
	snprintf(arch_pattern, sizeof(arch_pattern), "arm-smmu-v3");
	window = 5;
#endif
	printf("TAP version 13\n1..5\n");

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
	veventq_fd = setup_vevents(iommufd, devfd, bind.out_devid,
				   ioas.out_ioas_id);

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
		say("the IOMMU driver logged the fault:\n#   %s", line);
	else
		say("no fault line for IOVA 0x%llx in the kernel log", IOVA_UNMAPPED);
	if (veventq_fd >= 0 && have_iommu("smmu3.")) {
		/* The event went to its owner, this program: no log line */
		say("(SMMUv3 logs only the events nobody takes)");
		result(n, "unmapped_iova_fault_not_logged", NULL);
	} else {
		result(!n, "unmapped_iova_fault_logged", NULL);
	}
	free(before);
	check_vevent(veventq_fd);

	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
