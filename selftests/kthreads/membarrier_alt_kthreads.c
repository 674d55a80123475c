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
 *   echo "churn CPU ADDR"   > .../ctl   (not SCHED_FIFO: sleeps 20-60 us
 *                                        at a time, and each time it wakes
 *                                        holding the writer's mm lazily,
 *                                        in turn keeps it lazy, uses it
 *                                        until its next sleep, or uses it
 *                                        and drops it; stores to ADDR)
 *   echo "stop"             > .../ctl
 *   cat .../status          (one line per thread: kind cpu running
 *                            active_mm_is_writer stores)
 *
 * "nomm" started while a thread of the writer runs on CPU preempts it and
 * so holds the writer's mm lazily: status shows it.
 *
 * The SYNC_CORE oracle's tests drive one more kernel thread, G, step by
 * step (no sleeps-and-hope):
 *
 *   echo "gap CPU USE_MM" > ctl   create G on CPU, asleep; USE_MM 1 or 0
 *   echo "round" > ctl            from the writer's thread T on CPU: wake
 *                                 G, which preempts T and holds T's mm
 *                                 lazily; T blocks in this write until
 *                                 "go"
 *   cat gap                       "lazy N" once G holds the mm lazily in
 *                                 round N (and spins)
 *   echo "go" > ctl               from another thread: G, with USE_MM,
 *                                 calls kthread_use_mm() on the mm it
 *                                 holds lazily; then it wakes T and
 *                                 sleeps, so the CPU switches from G
 *                                 straight to T (with USE_MM, G->mm is
 *                                 set: no rq->prev_mm, no in-tree
 *                                 serialization; without, finish_task_switch()
 *                                 exits the lazy mm)
 *
 * "stop" ends G too.  Not for production.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
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

enum kind { NOMM, USE_MM, LITMUS, CHURN };

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

/* G's round: what T and the "go" writer wait for, under gap.lock. */
enum gap_state { GAP_IDLE, GAP_WAKE, GAP_LAZY, GAP_GO, GAP_DONE };

/**
 * struct gap - the oracle tests' kernel thread G and its round
 * @task: G, bound to @cpu; NULL when there is none.
 * @mm: the writer's mm, mmgrab()ed and mmget()ed while G exists.
 * @use_mm: G calls kthread_use_mm() on "go".
 * @using: G is between kthread_use_mm() and kthread_unuse_mm() (G only).
 * @lazy: G held @mm lazily (active_mm) when it reported GAP_LAZY.
 * @state: enum gap_state; written with @lock held, read by G and T
 *	without it (READ_ONCE) while they wait.
 * @round: rounds started.
 * @twq: T waits here for GAP_DONE.
 * @gwq: G waits here for GAP_WAKE.
 *
 * Only the transitions that the other side sleeps for wake anyone: a
 * wakeup sent from the "go" writer's CPU to T's would interrupt T's CPU
 * (an IPI, where the CPUs share no cache) after the command, and cover it.
 */
static struct {
	struct task_struct *task;
	struct mm_struct *mm;
	int cpu;
	bool use_mm;
	bool using;
	bool lazy;
	int state;
	u64 round;
	spinlock_t lock;
	wait_queue_head_t twq;
	wait_queue_head_t gwq;
} gap = {
	.lock = __SPIN_LOCK_UNLOCKED(gap.lock),
	.twq = __WAIT_QUEUE_HEAD_INITIALIZER(gap.twq),
	.gwq = __WAIT_QUEUE_HEAD_INITIALIZER(gap.gwq),
};

static void gap_set(int state)
{
	spin_lock(&gap.lock);
	WRITE_ONCE(gap.state, state);
	spin_unlock(&gap.lock);
	if (state == GAP_WAKE)
		wake_up_all(&gap.gwq);
	else if (state == GAP_DONE)
		wake_up_all(&gap.twq);
}

static int gap_thread(void *arg)
{
	sched_set_fifo(current);
	for (;;) {
		wait_event_idle(gap.gwq, READ_ONCE(gap.state) == GAP_WAKE ||
					 kthread_should_stop());
		/*
		 * T blocked, or was preempted by our wakeup: we run in its
		 * place.  Drop the mm we used last round, if any, so that we
		 * hold it lazily, as when T's CPU switched to us.
		 */
		if (gap.using) {
			kthread_unuse_mm(gap.mm);
			gap.using = false;
		}
		if (kthread_should_stop())
			break;
		gap.lazy = current->active_mm == gap.mm;
		gap_set(GAP_LAZY);
		/* Spin, holding the mm lazily, until the test has issued its command. */
		while (READ_ONCE(gap.state) != GAP_GO && !kthread_should_stop())
			cpu_relax();
		if (gap.use_mm && current->active_mm == gap.mm) {
			kthread_use_mm(gap.mm);
			gap.using = true;
		}
		/*
		 * Wake T and sleep in one go: T is runnable on this CPU, so
		 * the next switch goes from us straight to T.
		 */
		gap_set(GAP_DONE);
	}
	return 0;
}

static void gap_stop(void)
{
	if (!gap.task)
		return;
	kthread_stop(gap.task);
	put_task_struct(gap.task);
	mmput(gap.mm);
	mmdrop(gap.mm);
	gap.task = NULL;
	gap.mm = NULL;
	gap.state = GAP_IDLE;
}

static int gap_start(int cpu, int use_mm)
{
	struct task_struct *task;

	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu) || !current->mm)
		return -EINVAL;
	if (gap.task)
		return -EBUSY;
	gap.mm = current->mm;
	mmgrab(gap.mm);
	mmget(gap.mm);
	gap.cpu = cpu;
	gap.use_mm = use_mm;
	gap.using = false;
	gap.state = GAP_IDLE;
	gap.round = 0;
	task = kthread_create_on_cpu(gap_thread, NULL, cpu, "mba_gap/%u");
	if (IS_ERR(task)) {
		mmput(gap.mm);
		mmdrop(gap.mm);
		gap.mm = NULL;
		return PTR_ERR(task);
	}
	get_task_struct(task);
	gap.task = task;
	wake_up_process(task);
	return 0;
}

/* T's side of a round, in T's write(), on G's CPU. */
static int gap_round(void)
{
	if (!gap.task || current->mm != gap.mm ||
	    raw_smp_processor_id() != gap.cpu ||
	    READ_ONCE(gap.state) == GAP_WAKE || READ_ONCE(gap.state) == GAP_LAZY)
		return -EINVAL;
	gap.round++;
	gap_set(GAP_WAKE);
	/* Killable: a test that dies mid-round must not leave T stuck. */
	if (wait_event_killable(gap.twq, READ_ONCE(gap.state) == GAP_DONE))
		return -EINTR;
	return 0;
}

static int gap_go(void)
{
	if (!gap.task || READ_ONCE(gap.state) != GAP_LAZY)
		return -EINVAL;
	gap_set(GAP_GO);
	return 0;
}

static int gap_show(struct seq_file *m, void *v)
{
	static const char * const names[] = {
		"idle", "wake", "lazy", "go", "done",
	};

	seq_printf(m, "%s %llu %d\n", names[READ_ONCE(gap.state)], gap.round,
		   gap.lazy);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gap);

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

/*
 * The oracle stress run's kernel thread: every way a kernel thread leaves
 * a lazily held mm, mixed with the writer's threads on its CPU.
 */
static int churn(void *arg)
{
	struct test_kthread *t = arg;
	bool using = false;
	u32 v = 0;

	atomic_set(&t->running, 1);
	while (!kthread_should_stop()) {
		/* Sleeps while using the mm in turn 1: see below. */
		usleep_range(20, 60);
		if (using) {
			kthread_unuse_mm(t->mm);
			using = false;
		}
		if (current->active_mm != t->mm)
			continue;
		atomic_set(&t->lazy_on_writer, 1);
		switch (v++ % 3) {
		case 0:
			/*
			 * Stay lazy: the writer's thread comes back through
			 * finish_task_switch()'s lazy mm exit.
			 */
			break;
		case 1:
			/*
			 * Keep using it while asleep: the next switch to a
			 * writer's thread has prev->mm set.
			 */
			kthread_use_mm(t->mm);
			using = true;
			if (!put_user(v, t->addr))
				atomic64_inc(&t->stores);
			break;
		default:
			kthread_use_mm(t->mm);
			if (!put_user(v, t->addr))
				atomic64_inc(&t->stores);
			kthread_unuse_mm(t->mm);
			break;
		}
	}
	if (using)
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
	t->use_mm = kind != NOMM;	/* mmget()ed */
	t->addr = (u32 __user *)addr;
	t->sb = (struct sb_litmus __user *)addr;
	t->mm = current->mm;
	mmgrab(t->mm);
	/* The address space must outlive kthread_use_mm(). */
	if (t->use_mm)
		mmget(t->mm);
	task = kthread_create_on_cpu(kind == CHURN ? churn : spin, t, cpu,
				     "mba_kthread/%u");
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

	/* T blocks in "round" until "go": neither may wait for the other's lock. */
	if (sysfs_streq(buf, "round")) {
		ret = gap_round();
		return ret ? ret : len;
	}
	if (sysfs_streq(buf, "go")) {
		ret = gap_go();
		return ret ? ret : len;
	}

	guard(mutex)(&threads_lock);
	if (sysfs_streq(buf, "stop")) {
		stop_all();
		gap_stop();
		return len;
	}
	n = sscanf(buf, "%7s %d %lx", kind, &cpu, &addr);
	if (n == 3 && !strcmp(kind, "gap"))
		ret = gap_start(cpu, addr != 0);
	else if (n >= 2 && !strcmp(kind, "nomm"))
		ret = start(NOMM, cpu, 0);
	else if (n == 3 && !strcmp(kind, "use_mm"))
		ret = start(USE_MM, cpu, addr);
	else if (n == 3 && !strcmp(kind, "litmus"))
		ret = start(LITMUS, cpu, addr);
	else if (n == 3 && !strcmp(kind, "churn"))
		ret = start(CHURN, cpu, addr);
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
			   t->kind == CHURN ? "churn" :
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
	debugfs_create_file("gap", 0400, dir, NULL, &gap_fops);
	return 0;
}

static void __exit kthreads_exit(void)
{
	debugfs_remove_recursive(dir);
	guard(mutex)(&threads_lock);
	stop_all();
	gap_stop();
}

module_init(kthreads_init);
module_exit(kthreads_exit);
MODULE_DESCRIPTION("Test-only kernel threads for the membarrier_alt selftests");
MODULE_LICENSE("GPL");
MODULE_INFO(test, "Y");
