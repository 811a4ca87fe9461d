// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_bench: what delivering an IOMMU fault to user space costs, on the
 * iommufd selftest (mock) driver. The same source is built against the
 * uAPI headers of the base kernel and of the patched one; what the base
 * does not have (the vEVENTQ) is left out of its build. make bench boots
 * both kernels and compares their output (scripts/bench-report.py).
 *
 * Output, one result a line, all times in microseconds:
 *   BENCH lat NAME n=N p50=X p90=X p99=X mean=X
 *   BENCH cdf NAME X1 ... X99       (percentiles 1..99, for the plot)
 *   BENCH rate NAME batch=B n=N per_sec=X us_per_event=X
 *   BENCH mem NAME KEY=VALUE ...     (bytes and slab allocations per event)
 *   BENCH stage NAME n=N from=FUNC to=FUNC p50=X p90=X mean=X
 *   BENCH info TEXT
 * and "BENCH done" at the end; anything that fails prints "BENCH error"
 * and exits 1.
 *
 * usage: iommufd_bench [-s SCALE]
 *   SCALE multiplies the number of samples of each latency and rate
 *   (default 1); the memory figures use fixed counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

/* Not an op of either kernel's mock: the mock's default case, a null op */
#define BENCH_NULL_OP 0xfff0

static int scale = 1;

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	printf("BENCH error ");
	vprintf(fmt, ap);
	printf(" (errno %d: %s)\n", err, strerror(err));
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("calloc of %zu x %zu bytes", n, size);
	return p;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A time one thread stores and another loads */
static void stamp_store(uint64_t *where, double us)
{
	__atomic_store_n(where, (uint64_t)(us * 1e3), __ATOMIC_RELEASE);
}

static double stamp_load(uint64_t *where)
{
	return __atomic_load_n(where, __ATOMIC_ACQUIRE) / 1e3;
}

/* Run the calling thread on @cpu only */
static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity to CPU %d", cpu);
}

/*
 * Wait until thread @tid sleeps (state S in /proc), so that what follows
 * wakes it up rather than finding it still on its way to poll()
 */
static void wait_sleeping(int tid)
{
	char path[64], buf[256], *p;
	int i, fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 100000; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die("open %s", path);
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			die("read %s", path);
		buf[len] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		sched_yield();
	}
	die("thread %d never went to sleep", tid);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
	int i = (int)(p / 100.0 * (n - 1) + 0.5);

	return sorted[i];
}

/* Print the distribution of @n samples (sorted in place) */
static void report_lat(const char *name, double *v, int n)
{
	double sum = 0;
	int i;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("BENCH lat %s n=%d p50=%.2f p90=%.2f p99=%.2f mean=%.2f\n",
	       name, n, pct(v, n, 50), pct(v, n, 90), pct(v, n, 99), sum / n);
	printf("BENCH cdf %s", name);
	for (i = 1; i < 100; i++)
		printf(" %.2f", pct(v, n, i));
	printf("\n");
	fflush(stdout);
}

static void report_rate(const char *name, int batch, int n, double us)
{
	printf("BENCH rate %s batch=%d n=%d per_sec=%.0f us_per_event=%.3f\n",
	       name, batch, n, n / us * 1e6, us / n);
	fflush(stdout);
}

/*
 * Kernel memory in bytes: slab plus vmalloc, from /proc/meminfo, after
 * folding the per-CPU counters in (they are otherwise off by up to some
 * pages per CPU)
 */
static long kernel_mem(void)
{
	char line[128];
	long kb, total = 0;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		die("writing /proc/sys/vm/stat_refresh");
	close(fd);
	f = fopen("/proc/meminfo", "r");

	if (!f)
		die("open /proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld kB", &kb) == 1 ||
		    sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total * 1024;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The iommufd objects of one mock device */
struct ctx {
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
};

static void test_cmd(int fd, struct iommu_test_cmd *cmd, const char *what)
{
	cmd->size = sizeof(*cmd);
	if (ioctl(fd, IOMMU_TEST_CMD, cmd))
		die("%s", what);
}

static void ctx_open(struct ctx *c)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
	};
	struct iommu_test_cmd mock = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	c->fd = open("/dev/iommu", O_RDWR);
	if (c->fd < 0)
		die("open /dev/iommu");
	if (ioctl(c->fd, IOMMU_IOAS_ALLOC, &ioas))
		die("IOMMU_IOAS_ALLOC");
	c->ioas_id = ioas.out_ioas_id;
	mock.id = c->ioas_id;
	test_cmd(c->fd, &mock, "IOMMU_TEST_OP_MOCK_DOMAIN");
	c->stdev_id = mock.mock_domain.out_stdev_id;
	c->idev_id = mock.mock_domain.out_idev_id;
	parent.dev_id = c->idev_id;
	parent.pt_id = c->ioas_id;
	if (ioctl(c->fd, IOMMU_HWPT_ALLOC, &parent))
		die("IOMMU_HWPT_ALLOC (nest parent)");
	c->parent_id = parent.out_hwpt_id;
}

/*
 * 1. The floor: an IOMMU_TEST_CMD the mock does nothing for, the same path
 * into the mock as every trigger below.
 */
static void bench_floor(struct ctx *c)
{
	int i, n = 20000 * scale, warm = 1000;
	double *v = xcalloc(n, sizeof(*v));
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = BENCH_NULL_OP,
	};

	for (i = -warm; i < n; i++) {
		double t0 = now_us();

		if (ioctl(c->fd, IOMMU_TEST_CMD, &cmd) != -1 ||
		    errno != EOPNOTSUPP)
			die("the null op did not fail with EOPNOTSUPP");
		if (i >= 0)
			v[i] = now_us() - t0;
	}
	report_lat("floor", v, n);
	free(v);
}

/*
 * 2. Page requests: a fault object on an IOPF-capable nested HWPT the mock
 * device is attached to (the base accepts IOPF only on nested HWPTs).
 */
struct iopf {
	struct ctx *c;
	__u32 fault_id;
	int fault_fd;
	int done_fd;	/* eventfd: the consumer answered one request */
	int n;
	int consumer_tid;
	uint64_t t_trigger;	/* stamp_store()d by the producer, in ns */
	double *rt;		/* trigger -> response written */
	double *wake;		/* trigger -> poll() returned */
};

static void iopf_open(struct iopf *p, struct ctx *c)
{
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = c->idev_id,
		.pt_id = c->parent_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd replace = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = c->stdev_id,
	};

	memset(p, 0, sizeof(*p));
	p->c = c;
	if (ioctl(c->fd, IOMMU_FAULT_QUEUE_ALLOC, &fault))
		die("IOMMU_FAULT_QUEUE_ALLOC");
	p->fault_id = fault.out_fault_id;
	p->fault_fd = fault.out_fault_fd;
	hwpt.fault_id = p->fault_id;
	if (ioctl(c->fd, IOMMU_HWPT_ALLOC, &hwpt))
		die("IOMMU_HWPT_ALLOC (IOPF-capable nested)");
	replace.mock_domain_replace.pt_id = hwpt.out_hwpt_id;
	test_cmd(c->fd, &replace, "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE");
	p->done_fd = eventfd(0, 0);
	if (p->done_fd < 0)
		die("eventfd");
}

static void iopf_trigger(struct iopf *p, __u32 grpid)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = p->c->idev_id,
			.pasid = 1,
			.grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			.addr = 0x100000 + grpid * 0x1000ULL,
		},
	};

	if (ioctl(p->c->fd, IOMMU_TEST_CMD, &cmd))
		die("IOMMU_TEST_OP_TRIGGER_IOPF");
}

/* Read exactly @n requests (in one read()) and answer them (one write()) */
static void iopf_answer(struct iopf *p, int n)
{
	struct iommu_hwpt_pgfault fault[64];
	struct iommu_hwpt_page_response resp[64];
	ssize_t len;
	int i;

	if (n > 64)
		die("iopf_answer of %d requests", n);

	len = read(p->fault_fd, fault, n * sizeof(fault[0]));
	if (len != (ssize_t)(n * sizeof(fault[0])))
		die("read of %d page requests returned %zd", n, len);
	for (i = 0; i < n; i++) {
		resp[i].cookie = fault[i].cookie;
		resp[i].code = IOMMUFD_PAGE_RESP_SUCCESS;
	}
	len = write(p->fault_fd, resp, n * sizeof(resp[0]));
	if (len != (ssize_t)(n * sizeof(resp[0])))
		die("write of %d responses returned %zd", n, len);
}

/*
 * The consumer of the two-thread round trip: a VMM's fault thread, on the
 * other CPU than the producer
 */
static void *iopf_consumer(void *arg)
{
	struct iopf *p = arg;
	struct pollfd pfd = { .fd = p->fault_fd, .events = POLLIN };
	uint64_t one = 1;
	int i;

	pin(1);
	__atomic_store_n(&p->consumer_tid, (int)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	for (i = 0; i < p->n; i++) {
		double t_wake, t_trigger;

		if (poll(&pfd, 1, 10000) != 1)
			die("poll of the fault fd timed out");
		t_wake = now_us();
		iopf_answer(p, 1);
		t_trigger = stamp_load(&p->t_trigger);
		p->rt[i] = now_us() - t_trigger;
		p->wake[i] = t_wake - t_trigger;
		if (write(p->done_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
	}
	return NULL;
}

/* One request at a time: trigger, poll wake-up in another thread, answer */
static void bench_iopf_pingpong(struct iopf *p, int n, const char *rt_name,
				const char *wake_name)
{
	pthread_t th;
	uint64_t v;
	int i;

	p->n = n;
	p->rt = xcalloc(n, sizeof(double));
	p->wake = xcalloc(n, sizeof(double));
	p->consumer_tid = 0;
	pin(0);
	if (pthread_create(&th, NULL, iopf_consumer, p))
		die("pthread_create");
	while (!__atomic_load_n(&p->consumer_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < n; i++) {
		/* The consumer sleeps in poll() before each trigger */
		wait_sleeping(p->consumer_tid);
		stamp_store(&p->t_trigger, now_us());
		iopf_trigger(p, i & 0xff);
		if (read(p->done_fd, &v, sizeof(v)) != sizeof(v))
			die("eventfd read");
	}
	pthread_join(th, NULL);
	if (rt_name) {
		report_lat(rt_name, p->rt, n);
		report_lat(wake_name, p->wake, n);
	}
	free(p->rt);
	free(p->wake);
}

/*
 * One thread: trigger, read, answer, with no wake-up in between; the time
 * of each of the three system calls, too
 */
static void bench_iopf_onethread(struct iopf *p)
{
	int i, n = 5000 * scale, warm = 200;
	double *v = xcalloc(n, sizeof(*v));
	double *trig = xcalloc(n, sizeof(*v));
	double *rd = xcalloc(n, sizeof(*v));
	double *wr = xcalloc(n, sizeof(*v));
	struct iommu_hwpt_pgfault fault;
	struct iommu_hwpt_page_response resp = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};

	for (i = -warm; i < n; i++) {
		double t0 = now_us(), t1, t2, t3;

		iopf_trigger(p, i & 0xff);
		t1 = now_us();
		if (read(p->fault_fd, &fault, sizeof(fault)) != sizeof(fault))
			die("read of a page request");
		t2 = now_us();
		resp.cookie = fault.cookie;
		if (write(p->fault_fd, &resp, sizeof(resp)) != sizeof(resp))
			die("write of a response");
		t3 = now_us();
		if (i >= 0) {
			v[i] = t3 - t0;
			trig[i] = t1 - t0;
			rd[i] = t2 - t1;
			wr[i] = t3 - t2;
		}
	}
	report_lat("iopf_rt_1thread", v, n);
	report_lat("iopf_1thread_trigger", trig, n);
	report_lat("iopf_1thread_read", rd, n);
	report_lat("iopf_1thread_write", wr, n);
	free(v);
	free(trig);
	free(rd);
	free(wr);
}

/* Throughput: B requests, then one read() and one write() for all B */
static void bench_iopf_batch(struct iopf *p, int batch)
{
	int i, j, n = 16384 * scale, rounds = n / batch;
	double t0;
	char name[32];

	for (i = 0; i < 4; i++) {	/* warm-up */
		for (j = 0; j < batch; j++)
			iopf_trigger(p, j);
		iopf_answer(p, batch);
	}
	t0 = now_us();
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < batch; j++)
			iopf_trigger(p, j);
		iopf_answer(p, batch);
	}
	snprintf(name, sizeof(name), "iopf");
	report_rate(name, batch, rounds * batch, now_us() - t0);
}

#define TRACING "/sys/kernel/tracing/"

static int tracefs_write(const char *file, const char *val, int append)
{
	int fd = open(file, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t len;

	if (fd < 0)
		return -1;
	len = write(fd, val, strlen(val));
	close(fd);
	return len == (ssize_t)strlen(val) ? 0 : -1;
}


/*
 * Slab allocations per call of @fn (the kmem:kmalloc and
 * kmem:kmem_cache_alloc tracepoints in this process, freed or not), or -1
 * when the kernel has no tracing
 */
static double allocs_per_call(void (*fn)(void *, int), void *arg, int n)
{
	static const char *const events[] = {
		TRACING "events/kmem/kmalloc/enable",
		TRACING "events/kmem/kmem_cache_alloc/enable",
	};
	char line[512];
	long count = 0;
	unsigned int e;
	FILE *f;
	int i;

	snprintf(line, sizeof(line), "%d", getpid());
	tracefs_write(TRACING "tracing_on", "0", 0);
	if (tracefs_write(TRACING "set_event_pid", line, 0))
		return -1;
	for (e = 0; e < 2; e++)
		if (tracefs_write(events[e], "1", 0))
			return -1;
	tracefs_write(TRACING "buffer_size_kb", "8192", 0);
	tracefs_write(TRACING "trace", "", 0);
	tracefs_write(TRACING "tracing_on", "1", 0);
	for (i = 0; i < n; i++)
		fn(arg, i);
	tracefs_write(TRACING "tracing_on", "0", 0);
	for (e = 0; e < 2; e++)
		tracefs_write(events[e], "0", 0);
	tracefs_write(TRACING "set_event_pid", "", 0);
	f = fopen(TRACING "trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && (strstr(line, ": kmalloc:") ||
				     strstr(line, ": kmem_cache_alloc:")))
			count++;
	fclose(f);
	return (double)count / n;
}

static void floor_call(void *arg, int i)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd), .op = BENCH_NULL_OP };

	(void)i;
	ioctl(((struct ctx *)arg)->fd, IOMMU_TEST_CMD, &cmd);
}

/* Kernel memory per queued, unread page request: slab delta / N */
static void iopf_trigger_call(void *arg, int i)
{
	iopf_trigger(arg, i & 0xff);
}

static void bench_iopf_mem(struct iopf *p)
{
	int n = 16384, r, i, runs = 3;
	double allocs;
	long per[3];

	allocs = allocs_per_call(floor_call, p->c, 512);
	printf("BENCH mem floor allocs_per_event=%.2f\n", allocs);
	allocs = allocs_per_call(iopf_trigger_call, p, 512);
	for (i = 0; i < 512; i += 64)
		iopf_answer(p, 64);

	for (r = 0; r < runs; r++) {
		long m0, m1;

		m0 = kernel_mem();
		for (i = 0; i < n; i++)
			iopf_trigger(p, i & 0xff);
		m1 = kernel_mem();
		for (i = 0; i < n; i += 64)
			iopf_answer(p, 64);
		per[r] = (m1 - m0) / n;
	}
	qsort(per, runs, sizeof(per[0]), cmp_long);
	printf("BENCH mem iopf queued=%d bytes_per_event=%ld runs=%ld,%ld,%ld depth=unbounded allocs_per_event=%.2f\n",
	       n, per[1], per[0], per[1], per[2], allocs);
	fflush(stdout);
}

/*
 * 5. Where the time of a page request goes: the function tracer on the
 * functions a request passes, in the order it passes them, during
 * two-thread round trips. The tracer only sees entries: a stage is the
 * time from one function's entry to the next's.
 */
static const char *const stage_funcs[][2] = {
	{ "iommufd_fops_ioctl" },		/* the trigger enters iommufd */
	{ "iommu_report_device_fault" },	/* the mock reports */
	{ "iommufd_fault_iopf_handler" },	/* queued on the fault object */
	{ "iommufd_eventq_fops_poll", "iommufd_fault_fops_poll" }, /* woken */
	{ "iommufd_fault_fops_read" },
	{ "iommufd_fault_fops_write" },
	{ "iopf_group_response" },
	{ "mock_domain_page_response" },	/* the response reaches the driver */
};
#define NSTAGES ((int)(sizeof(stage_funcs) / sizeof(stage_funcs[0])))
/* @func is in available_filter_functions (not inlined, not notrace) */
static int traceable(const char *func)
{
	FILE *f = fopen(TRACING "available_filter_functions", "r");
	size_t len = strlen(func);
	char line[256];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, func, len) &&
			(line[len] == '\n' || line[len] == ' ');
	if (f)
		fclose(f);
	return found;
}

static void bench_stages(struct iopf *p)
{
	const char *used[NSTAGES] = {};
	int n = 1000 * scale, i, s, rec = 0, next = 0;
	double sum;
	double (*ts)[NSTAGES] = xcalloc(n + 1, sizeof(*ts));
	double cur[NSTAGES];
	char line[512];
	FILE *f;

	f = fopen(TRACING "available_tracers", "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    !strstr(line, "function")) {
		printf("BENCH info stages skipped: no function tracer in this kernel (%s)\n",
		       TRACING "available_tracers");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	tracefs_write(TRACING "tracing_on", "0", 0);
	tracefs_write(TRACING "set_ftrace_filter", "", 0);
	for (s = 0; s < NSTAGES; s++) {
		for (i = 0; i < 2 && stage_funcs[s][i]; i++) {
			if (traceable(stage_funcs[s][i]) &&
			    !tracefs_write(TRACING "set_ftrace_filter",
					   stage_funcs[s][i], 1)) {
				used[s] = stage_funcs[s][i];
				break;
			}
		}
		if (!used[s])
			printf("BENCH info stage function %s is not traceable (inlined?)\n",
			       stage_funcs[s][0]);
	}
	if (!used[0]) {
		/* An empty filter would trace every function */
		printf("BENCH info stages skipped: %s is not traceable\n",
		       stage_funcs[0][0]);
		return;
	}
	/* The stages cross CPUs: one clock for both */
	if (tracefs_write(TRACING "trace_clock", "global", 0) ||
	    tracefs_write(TRACING "buffer_size_kb", "8192", 0) ||
	    tracefs_write(TRACING "current_tracer", "function", 0))
		die("setting up the function tracer");
	tracefs_write(TRACING "trace", "", 0);
	tracefs_write(TRACING "tracing_on", "1", 0);
	bench_iopf_pingpong(p, n, NULL, NULL);
	tracefs_write(TRACING "tracing_on", "0", 0);

	/* "   task-PID   [CPU] flags   SECONDS.USECS: FUNC <-PARENT" */
	f = fopen(TRACING "trace", "r");
	if (!f)
		die("open %strace", TRACING);
	while (fgets(line, sizeof(line), f) && rec < n) {
		char *colon, *func, *end;
		double t;

		if (line[0] == '#')
			continue;
		colon = strstr(line, ": ");
		if (!colon)
			continue;
		end = colon;
		while (end > line && end[-1] != ' ')
			end--;
		t = strtod(end, NULL) * 1e6;
		func = colon + 2;
		func[strcspn(func, " \n")] = 0;
		/* The first stage starts a round trip; the others follow in order */
		if (used[0] && !strcmp(func, used[0])) {
			next = 0;
			for (s = 0; s < NSTAGES; s++)
				cur[s] = -1;
		}
		while (next < NSTAGES && !used[next])
			next++;
		if (next < NSTAGES && used[next] && !strcmp(func, used[next])) {
			cur[next++] = t;
			while (next < NSTAGES && !used[next])
				next++;
			if (next == NSTAGES) {
				memcpy(ts[rec++], cur, sizeof(cur));
				next = NSTAGES + 1;	/* until the next trigger */
			}
		}
	}
	fclose(f);
	if (rec < n / 2) {
		/* Show what the trace holds, to see why */
		f = fopen(TRACING "trace", "r");
		for (i = 0; f && i < 60 && fgets(line, sizeof(line), f); i++)
			printf("BENCH info trace: %s", line);
		if (f)
			fclose(f);
		die("only %d of %d round trips found in the trace", rec, n);
	}
	tracefs_write(TRACING "current_tracer", "nop", 0);
	tracefs_write(TRACING "set_ftrace_filter", "", 0);


	for (s = 1; s < NSTAGES; s++) {
		double *d = xcalloc(rec, sizeof(double));
		int from = s - 1;

		if (!used[s])
			continue;
		while (from > 0 && !used[from])
			from--;
		for (i = 0; i < rec; i++)
			d[i] = ts[i][s] - ts[i][from];
		for (i = 0, sum = 0; i < rec; i++)
			sum += d[i];
		qsort(d, rec, sizeof(*d), cmp_double);
		/* The trace has microseconds: the mean resolves less than one */
		printf("BENCH stage iopf n=%d from=%s to=%s p50=%.2f p90=%.2f mean=%.3f\n",
		       rec, used[from], used[s], pct(d, rec, 50), pct(d, rec, 90),
		       sum / rec);
		free(d);
	}
	fflush(stdout);
	free(ts);
}

#ifdef IOMMU_VEVENTQ_ALLOC
/*
 * 3 and 4. vEVENTQ: a vIOMMU of the mock type on the nest parent, a vDEVICE
 * for the device, and one queue of each event type the mock produces.
 */
struct vq {
	struct ctx *c;
	__u32 viommu_id;
	int fd;
	__u32 type;
	size_t ev_size;	/* header + payload, as read() returns them */
	__u32 depth;
	int done_fd;
	int n;
	int consumer_tid;
	uint64_t t_trigger;	/* stamp_store()d by the producer, in ns */
	double *wake;
	__u32 id;
	__u32 seq;	/* of the last event read */
	int have_seq;
};

#define VIRT_ID 0x42

static void vq_viommu(struct vq *q, struct ctx *c)
{
	struct iommu_viommu_alloc viommu = {
		.size = sizeof(viommu),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
		.dev_id = c->idev_id,
		.hwpt_id = c->parent_id,
	};
	struct iommu_vdevice_alloc vdev = {
		.size = sizeof(vdev),
		.dev_id = c->idev_id,
		.virt_id = VIRT_ID,
	};

	memset(q, 0, sizeof(*q));
	q->c = c;
	if (ioctl(c->fd, IOMMU_VIOMMU_ALLOC, &viommu))
		die("IOMMU_VIOMMU_ALLOC");
	q->viommu_id = viommu.out_viommu_id;
	vdev.viommu_id = q->viommu_id;
	if (ioctl(c->fd, IOMMU_VDEVICE_ALLOC, &vdev))
		die("IOMMU_VDEVICE_ALLOC");
	q->done_fd = eventfd(0, 0);
	if (q->done_fd < 0)
		die("eventfd");
}

static void vq_alloc(struct vq *q, __u32 type, __u32 depth)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = q->viommu_id,
		.type = type,
		.veventq_depth = depth,
	};

	if (ioctl(q->c->fd, IOMMU_VEVENTQ_ALLOC, &cmd))
		die("IOMMU_VEVENTQ_ALLOC type %#x depth %u", type, depth);
	q->fd = cmd.out_veventq_fd;
	q->id = cmd.out_veventq_id;
	q->have_seq = 0;
	q->type = type;
	q->depth = depth;
	q->ev_size = sizeof(struct iommufd_vevent_header) +
		     (type == IOMMU_VEVENTQ_TYPE_DECODED ?
		      sizeof(struct iommu_vevent_decoded) :
		      sizeof(struct iommu_viommu_event_selftest));
}

/* The open fd holds the queue: close it, then destroy the object */
static void vq_free(struct vq *q)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = q->id };

	close(q->fd);
	q->fd = -1;
	if (ioctl(q->c->fd, IOMMU_DESTROY, &destroy))
		die("IOMMU_DESTROY of the vEVENTQ");
}

static void vq_trigger(struct vq *q)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd) };

	if (q->type == IOMMU_VEVENTQ_TYPE_DECODED) {
		cmd.op = IOMMU_TEST_OP_TRIGGER_UNRECOV;
		cmd.trigger_unrecov.dev_id = q->c->idev_id;
		cmd.trigger_unrecov.reason = IOMMU_VEVENT_REASON_S1_WALK;
		cmd.trigger_unrecov.flags = IOMMU_VEVENT_DECODED_ADDR_VALID;
		cmd.trigger_unrecov.perm = IOMMU_PGFAULT_PERM_READ;
		cmd.trigger_unrecov.addr = 0x100000;
	} else {
		cmd.op = IOMMU_TEST_OP_TRIGGER_VEVENT;
		cmd.trigger_vevent.dev_id = q->c->idev_id;
	}
	if (ioctl(q->c->fd, IOMMU_TEST_CMD, &cmd))
		die("trigger of a vEVENT");
}

/* Read exactly @n events, in one read(), and check that none was lost */
static void vq_read(struct vq *q, int n)
{
	static char buf[64 * 128];
	struct iommufd_vevent_header *hdr;
	ssize_t len;
	int i;

	if (n * q->ev_size > sizeof(buf))
		die("vq_read of %d events", n);
	len = read(q->fd, buf, n * q->ev_size);
	if (len != (ssize_t)(n * q->ev_size))
		die("read of %d vEVENTs returned %zd", n, len);
	for (i = 0; i < n; i++) {
		hdr = (void *)(buf + i * q->ev_size);
		if (hdr->flags)
			die("vEVENT with flags %#x (a loss?)", hdr->flags);
		if (q->have_seq && hdr->sequence != ((q->seq + 1) & INT32_MAX))
			die("vEVENT sequence %u after %u", hdr->sequence, q->seq);
		q->seq = hdr->sequence;
		q->have_seq = 1;
	}
}

static void bench_vq_batch(struct vq *q, const char *name, int batch)
{
	int i, j, n = 16384 * scale, rounds = n / batch;
	double t0;

	t0 = now_us();
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < batch; j++)
			vq_trigger(q);
		vq_read(q, batch);
	}
	report_rate(name, batch, rounds * batch, now_us() - t0);
}

static void *vq_consumer(void *arg)
{
	struct vq *q = arg;
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	uint64_t one = 1;
	int i;

	pin(1);
	__atomic_store_n(&q->consumer_tid, (int)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	for (i = 0; i < q->n; i++) {
		if (poll(&pfd, 1, 10000) != 1)
			die("poll of the vEVENTQ fd timed out");
		q->wake[i] = now_us() - stamp_load(&q->t_trigger);
		vq_read(q, 1);
		if (write(q->done_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
	}
	return NULL;
}

/* Fault -> poll() wake-up of a thread blocked on the queue */
static void bench_vq_wake(struct vq *q, const char *name)
{
	pthread_t th;
	uint64_t v;
	int i;

	q->n = 5000 * scale;
	q->wake = xcalloc(q->n, sizeof(double));
	q->consumer_tid = 0;
	pin(0);
	if (pthread_create(&th, NULL, vq_consumer, q))
		die("pthread_create");
	while (!__atomic_load_n(&q->consumer_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < q->n; i++) {
		wait_sleeping(q->consumer_tid);
		stamp_store(&q->t_trigger, now_us());
		vq_trigger(q);
		if (read(q->done_fd, &v, sizeof(v)) != sizeof(v))
			die("eventfd read");
	}
	pthread_join(th, NULL);
	report_lat(name, q->wake, q->n);
	free(q->wake);
}

/*
 * Memory: what the queue charges when it is made (the ring, per slot), and
 * what each queued, unread event adds (nothing is allocated when a fault is
 * reported, so this should be 0).
 */
static void vq_trigger_call(void *arg, int i)
{
	(void)i;
	vq_trigger(arg);
}

static void bench_vq_mem(struct vq *q, __u32 type, const char *name)
{
	/*
	 * The largest depth: its ring is a whole number of 2 MiB pages for
	 * both types, which vmalloc may use, so no rounding hides the slot
	 */
	__u32 depth = 1 << 19;
	int i, n = 32768;
	long m0, m1, m2;
	double allocs;

	m0 = kernel_mem();
	vq_alloc(q, type, depth);
	m1 = kernel_mem();
	for (i = 0; i < n; i++)
		vq_trigger(q);
	m2 = kernel_mem();
	allocs = allocs_per_call(vq_trigger_call, q, 512);
	printf("BENCH mem %s depth=%u alloc_bytes=%ld alloc_bytes_per_slot=%.1f queued=%d bytes_per_event=%ld read_size=%zu allocs_per_event=%.2f\n",
	       name, depth, m1 - m0, (double)(m1 - m0) / depth, n,
	       (m2 - m1) / n, q->ev_size, allocs);
	fflush(stdout);
	vq_free(q);
}

/*
 * What a queue of depth D holds: D events, then one LOST_EVENTS header for
 * all the events that did not fit
 */
static void bench_vq_depth(struct vq *q, __u32 type, const char *name)
{
	static char buf[256 * 128];
	const __u32 depth = 64;
	int i, events = 0, lost = 0;
	__u32 lost_seq = 0;
	size_t off;
	ssize_t len;

	vq_alloc(q, type, depth);
	for (i = 0; i < (int)depth * 2; i++)
		vq_trigger(q);
	len = read(q->fd, buf, sizeof(buf));
	if (len <= 0)
		die("read of a full vEVENTQ");
	for (off = 0; off < (size_t)len;) {
		struct iommufd_vevent_header *hdr = (void *)(buf + off);

		if (hdr->flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			lost++;
			lost_seq = hdr->sequence;
			off += sizeof(*hdr);
		} else {
			events++;
			off += q->ev_size;
		}
	}
	printf("BENCH mem %s_depth depth=%u triggered=%u events=%d lost_markers=%d lost_seq=%u\n",
	       name, depth, depth * 2, events, lost, lost_seq);
	fflush(stdout);
	vq_free(q);
}

static void bench_veventq(void)
{
	static const struct {
		__u32 type;
		const char *name;
	} types[] = {
		{ IOMMU_VEVENTQ_TYPE_SELFTEST, "vevent_selftest" },
		{ IOMMU_VEVENTQ_TYPE_DECODED, "vevent_decoded" },
	};
	char name[64];
	struct ctx c;
	struct vq q;
	int t, b;

	ctx_open(&c);
	vq_viommu(&q, &c);
	for (t = 0; t < 2; t++) {
		vq_alloc(&q, types[t].type, 1024);
		for (b = 1; b <= 64; b *= 4) {
			if (b == 4)
				b = 16;	/* batches 1, 16, 64 */
			bench_vq_batch(&q, types[t].name, b);
		}
		snprintf(name, sizeof(name), "%s_wake", types[t].name);
		bench_vq_wake(&q, name);
		vq_free(&q);
		bench_vq_depth(&q, types[t].type, types[t].name);
		bench_vq_mem(&q, types[t].type, types[t].name);
	}
	close(c.fd);
}
#else
static void bench_veventq(void)
{
	printf("BENCH info vEVENTQ: not in this kernel's uAPI\n");
}
#endif

int main(int argc, char **argv)
{
	struct ctx c;
	struct iopf p;
	int opt;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt == 's')
			scale = atoi(optarg);
		else
			return 2;
	}
	if (scale < 1)
		scale = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	ctx_open(&c);
	bench_floor(&c);
	iopf_open(&p, &c);
	bench_iopf_pingpong(&p, 200, NULL, NULL);	/* warm-up */
	bench_iopf_pingpong(&p, 5000 * scale, "iopf_rt_2thread",
			    "iopf_wake");
	bench_iopf_onethread(&p);
	bench_iopf_batch(&p, 1);
	bench_iopf_batch(&p, 16);
	bench_iopf_batch(&p, 64);
	bench_iopf_mem(&p);
	bench_stages(&p);
	close(p.fault_fd);
	close(c.fd);

	bench_veventq();
	printf("BENCH done\n");
	return 0;
}
