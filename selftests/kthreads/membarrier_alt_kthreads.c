// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only kernel threads for the membarrier_alt selftests.
 *
 * The variants differ in how they treat CPUs that run kernel threads, so
 * the tests need kernel threads they control: pinned to a CPU, never
 * sleeping (SCHED_FIFO), and either without an mm, holding the writer's mm
 * lazily, or using it through kthread_use_mm() while storing to a user
 * address.  This module makes them, driven through debugfs:
 *
 *   echo "nomm CPU"         > /sys/kernel/debug/membarrier_alt_kthreads/ctl
 *   echo "use_mm CPU ADDR"  > .../ctl   (stores a counter to ADDR, u32)
 *   echo "litmus CPU ADDR"  > .../ctl   (the kthread side of a store
 *                                        buffering test on ADDR, a
 *                                        struct sb_litmus)
 *   echo "stop"             > .../ctl
 *   cat .../status          (one line per thread: kind cpu running
 *                            active_mm_is_writer stores)
 *
 * "nomm" started while a thread of the writer runs on CPU preempts it and
 * so holds the writer's mm lazily: status shows it.  Not for production.
 */
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define MAX_THREADS	8

/* Shared with membarrier_alt_kthread_test.c. */
struct sb_litmus {
	u32 go;		/* user: iteration number, after resetting x and y */
	u32 x;		/* kthread stores 1 */
	u32 y;		/* user stores 1 */
	u32 r1;		/* kthread: what it read of y */
	u32 done;	/* kthread: iteration number, after r1 */
};

enum kind { NOMM, USE_MM, LITMUS };

struct test_kthread {
	struct task_struct *task;
	/* the writer's mm: mmgrab()ed, and mmget()ed when use_mm */
	struct mm_struct *mm;
	u32 __user *addr;		/* use_mm: where to store */
	struct sb_litmus __user *sb;	/* litmus */
	int cpu;
	enum kind kind;
	bool use_mm;
	atomic_t running;
	atomic_t lazy_on_writer;	/* active_mm was the writer's mm */
	atomic64_t stores;
};

static struct test_kthread threads[MAX_THREADS];
static DEFINE_MUTEX(threads_lock);
static struct dentry *dir;

/*
 * One iteration of the kthread side of store buffering, when the user
 * side has started one:
 *
 *   kthread (here)            user thread
 *   x = 1                     y = 1
 *   (nothing)                 membarrier(PRIVATE_EXPEDITED)
 *   r1 = y                    r2 = x
 *
 *   forbidden: r1 == 0 && r2 == 0, if membarrier covers this kthread.
 */
static void litmus_step(struct test_kthread *t, u32 *seen)
{
	u32 go, r1;

	if (get_user(go, &t->sb->go) || go == *seen)
		return;
	/*
	 * Harness, not litmus: the user's resets of x and y, published by
	 * its sequentially consistent store of go, come before our x = 1.
	 */
	smp_mb();
	if (put_user(1, &t->sb->x) || get_user(r1, &t->sb->y))
		return;
	if (put_user(r1, &t->sb->r1))
		return;
	/*
	 * Harness: r1 is published before done; pairs with the user's
	 * acquire load of done before it reads r1.
	 */
	smp_wmb();
	if (put_user(go, &t->sb->done))
		return;
	*seen = go;
	atomic64_inc(&t->stores);
}

static int spin(void *arg)
{
	struct test_kthread *t = arg;
	u32 v = 0;

	sched_set_fifo(current);
	if (t->use_mm)
		kthread_use_mm(t->mm);
	atomic_set(&t->lazy_on_writer, current->active_mm == t->mm);
	atomic_set(&t->running, 1);
	while (!kthread_should_stop()) {
		if (t->kind == LITMUS)
			litmus_step(t, &v);
		else if (t->use_mm && !put_user(++v, t->addr))
			atomic64_inc(&t->stores);
		cpu_relax();
		cond_resched();
	}
	if (t->use_mm)
		kthread_unuse_mm(t->mm);
	atomic_set(&t->running, 0);
	return 0;
}

static void stop_all(void)
{
	int i;

	for (i = 0; i < MAX_THREADS; i++) {
		struct test_kthread *t = &threads[i];

		if (!t->task)
			continue;
		kthread_stop(t->task);
		put_task_struct(t->task);
		if (t->use_mm)
			mmput(t->mm);
		mmdrop(t->mm);
		memset(t, 0, sizeof(*t));
	}
}

static int start(enum kind kind, int cpu, unsigned long addr)
{
	struct test_kthread *t = NULL;
	struct task_struct *task;
	int i;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;
	for (i = 0; i < MAX_THREADS; i++)
		if (!threads[i].task) {
			t = &threads[i];
			break;
		}
	if (!t)
		return -ENOSPC;

	t->cpu = cpu;
	t->kind = kind;
	t->use_mm = kind != NOMM;
	t->addr = (u32 __user *)addr;
	t->sb = (struct sb_litmus __user *)addr;
	t->mm = current->mm;
	mmgrab(t->mm);
	/* The address space must outlive kthread_use_mm(). */
	if (t->use_mm)
		mmget(t->mm);
	task = kthread_create_on_cpu(spin, t, cpu, "mba_kthread/%u");
	if (IS_ERR(task)) {
		if (t->use_mm)
			mmput(t->mm);
		mmdrop(t->mm);
		memset(t, 0, sizeof(*t));
		return PTR_ERR(task);
	}
	get_task_struct(task);
	t->task = task;
	wake_up_process(task);
	while (!atomic_read(&t->running))
		schedule_timeout_uninterruptible(1);
	return 0;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char buf[64], kind[8];
	unsigned long addr = 0;
	int cpu, n, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	guard(mutex)(&threads_lock);
	if (sysfs_streq(buf, "stop")) {
		stop_all();
		return len;
	}
	n = sscanf(buf, "%7s %d %lx", kind, &cpu, &addr);
	if (n >= 2 && !strcmp(kind, "nomm"))
		ret = start(NOMM, cpu, 0);
	else if (n == 3 && !strcmp(kind, "use_mm"))
		ret = start(USE_MM, cpu, addr);
	else if (n == 3 && !strcmp(kind, "litmus"))
		ret = start(LITMUS, cpu, addr);
	else
		ret = -EINVAL;
	return ret ? ret : len;
}

static int status_show(struct seq_file *m, void *v)
{
	int i;

	guard(mutex)(&threads_lock);
	for (i = 0; i < MAX_THREADS; i++) {
		struct test_kthread *t = &threads[i];

		if (!t->task)
			continue;
		seq_printf(m, "%s %d %d %d %lld\n",
			   t->kind == LITMUS ? "litmus" :
			   t->use_mm ? "use_mm" : "nomm", t->cpu,
			   atomic_read(&t->running),
			   atomic_read(&t->lazy_on_writer),
			   atomic64_read(&t->stores));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int __init kthreads_init(void)
{
	dir = debugfs_create_dir("membarrier_alt_kthreads", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	return 0;
}

static void __exit kthreads_exit(void)
{
	debugfs_remove_recursive(dir);
	guard(mutex)(&threads_lock);
	stop_all();
}

module_init(kthreads_init);
module_exit(kthreads_exit);
MODULE_DESCRIPTION("Test-only kernel threads for the membarrier_alt selftests");
MODULE_LICENSE("GPL");
