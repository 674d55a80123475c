// SPDX-License-Identifier: GPL-2.0

//! Per-variant counters.
//!
//! The targeting tests decide pass or fail from these counters, not from
//! timing: which CPUs an IPI handler ran on, and why the other CPUs were
//! skipped. A test reads them after the calls it counts have returned, and
//! the calls wait for their IPI handlers.
//!
//! What the IPI handlers and the scheduler hooks count, they count on the
//! CPU they run on, in a cache line of that CPU's own, with a plain load and
//! store: no other CPU writes that line, and each counter has one writer
//! context on its CPU (see [`Event`]). A shared counter, or an atomic
//! read-modify-write (a LOCK-prefixed instruction, a full barrier, on x86),
//! would put a barrier of the module's own inside the barriers the variants
//! are measured by. A reset therefore never writes those counters: it
//! records their current values as the base that later reads subtract.
//! Totals are summed when read.
//!
//! Nothing is counted while nobody reads the counters: the commands, IPI
//! handlers and hooks test one word ([`counting()`]) and do no other
//! bookkeeping until an open file of the device asks for the counters
//! (`MEMBARRIER_ALT_IOC_STATS` or `_STATS_RESET`, see device.rs), and from
//! when the last such file is closed. So a measurement that never reads
//! them (`make ab`'s timed turns) measures no bookkeeping of the module's,
//! and a test, which asks before the calls it counts, sees every one.

use core::fmt;
use kernel::{
    bindings,
    cpu::CpuId,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

use crate::{
    oracle,
    uapi::{
        self,
        Skip,
        Variant,
        MAX_CPUS,
        NR_SKIPS,
        NR_VARIANTS, //
    },
};

/// How many CPUs get counters of their own: CPUs at or beyond it (there are
/// none unless NR_CPUS exceeds the ABI's [`MAX_CPUS`]) share `beyond`.
const SLOTS: usize = if (bindings::NR_CPUS as usize) < MAX_CPUS {
    bindings::NR_CPUS as usize
} else {
    MAX_CPUS
};

// `CpuCounters` is aligned to 128 bytes, the largest cache line of the
// arches this module builds for (powerpc64).
const _: () = assert!(bindings::SMP_CACHE_BYTES as usize <= 128);

/// What a CPU counts on its own, and from where.
#[derive(Clone, Copy)]
enum Event {
    /// An IPI handler ran here, sent from another CPU (hard IRQ).
    Ipi,
    /// An IPI handler ran on the sending CPU (IRQs off).
    Local,
    /// A SYNC_CORE IPI handler serialized this core (hard IRQ, IRQs off).
    Serialized,
    /// A scheduler hook ran here (preemption off; the hooks of one
    /// variant never nest).
    Hook,
    /// A scheduler hook ran its barrier here (as for `Hook`).
    HookBarrier,
}

/// How many kinds of [`Event`] there are: the last one's index, plus one.
const NR_EVENTS: usize = Event::HookBarrier as usize + 1;

/// The counters of one variant that one CPU updates.
///
/// # Invariants
///
/// Only the CPU they belong to writes `count`, one writer context per
/// [`Event`], so a load and a store are an increment; `base` is written by
/// resets only. Counters shared by several CPUs (`Counters::beyond`) are
/// written with atomic additions instead.
#[repr(align(128))]
struct CpuCounters {
    count: [Atomic<u64>; NR_EVENTS],
    base: [Atomic<u64>; NR_EVENTS],
}

impl CpuCounters {
    const fn new() -> Self {
        Self {
            count: [const { Atomic::new(0) }; NR_EVENTS],
            base: [const { Atomic::new(0) }; NR_EVENTS],
        }
    }

    /// What was counted of `what` since the last reset.
    fn read(&self, what: Event) -> u64 {
        let i = what as usize;

        self.count[i]
            .load(Relaxed)
            .wrapping_sub(self.base[i].load(Relaxed))
    }

    fn reset(&self) {
        for (c, b) in self.count.iter().zip(&self.base) {
            b.store(c.load(Relaxed), Relaxed);
        }
    }
}

/// Counters of one variant.
struct Counters {
    calls: Atomic<u64>,
    skipped: [Atomic<u64>; NR_SKIPS],
    lazy_unknown: Atomic<u64>,
    per_cpu: [CpuCounters; SLOTS],
    beyond: CpuCounters,
}

impl Counters {
    const fn new() -> Self {
        Self {
            calls: Atomic::new(0),
            skipped: [const { Atomic::new(0) }; NR_SKIPS],
            lazy_unknown: Atomic::new(0),
            per_cpu: [const { CpuCounters::new() }; SLOTS],
            beyond: CpuCounters::new(),
        }
    }

    /// Counts one `what` on this CPU, from the context [`Event`] names for
    /// it, where this CPU cannot change under the caller.
    #[inline]
    fn count_here(&self, what: Event) {
        let i = what as usize;

        if !counting() {
            return;
        }

        match self.per_cpu.get(CpuId::current().as_u32() as usize) {
            Some(c) => {
                // Per the invariant of `CpuCounters`: this CPU, in this
                // context, is the only writer.
                let n = &c.count[i];
                n.store(n.load(Relaxed).wrapping_add(1), Relaxed);
            }
            None => {
                self.beyond.count[i].add(1, Relaxed);
            }
        }
    }

    /// Every CPU's counters, `beyond` included.
    fn all(&self) -> impl Iterator<Item = &CpuCounters> {
        self.per_cpu.iter().chain(core::iter::once(&self.beyond))
    }

    /// The sum of `what` over every CPU.
    fn total(&self, what: Event) -> u64 {
        self.all().map(|c| c.read(what)).fold(0, u64::wrapping_add)
    }

    fn reset(&self) {
        self.calls.store(0, Relaxed);
        for c in &self.skipped {
            c.store(0, Relaxed);
        }
        self.lazy_unknown.store(0, Relaxed);
        for c in self.all() {
            c.reset();
        }
    }
}

static COUNTERS: [Counters; NR_VARIANTS] = [const { Counters::new() }; NR_VARIANTS];

/// How many open files of the device asked for the counters and are still
/// open.
static READERS: Atomic<u32> = Atomic::new(0);

/// Whether anything is counted now: some open file asked for the counters.
///
/// Relaxed: a reader asks with an ioctl that returns before it issues,
/// or starts whatever issues, the calls it counts; its own later system
/// calls, and threads and processes it creates afterwards, see the store.
#[inline]
pub(crate) fn counting() -> bool {
    READERS.load(Relaxed) != 0
}

/// An open file asked for the counters, for the first time.
pub(crate) fn reader_opened() {
    READERS.add(1, Relaxed);
}

/// A file that asked for the counters was closed.
pub(crate) fn reader_closed() {
    READERS.fetch_sub(1, Relaxed);
}

fn of(variant: Variant) -> &'static Counters {
    &COUNTERS[variant.index()]
}

/// Counts one command issued with `variant`.
pub(crate) fn call(variant: Variant) {
    if counting() {
        of(variant).calls.add(1, Relaxed);
    }
}

/// Counts one CPU that `variant` decided not to interrupt.
pub(crate) fn skip(variant: Variant, why: Skip) {
    if counting() {
        of(variant).skipped[why as usize].add(1, Relaxed);
    }
}

/// Counts `skipped[why]` CPUs that `variant` decided not to interrupt, for
/// every reason `why`.
pub(crate) fn skips(variant: Variant, skipped: &[u32; NR_SKIPS]) {
    let c = of(variant);
    let add = |why: Skip| {
        let n = skipped[why as usize];
        if n != 0 {
            c.skipped[why as usize].add(u64::from(n), Relaxed);
        }
    };

    // Spelled out: a loop over the counters cost every command about 20
    // more instructions (x86_64, -icount), and a loop over `Skip::ALL`
    // about 110, for six reasons of which one or two are usually not zero.
    // A new reason fails the assertion below until it is added here.
    const _: () = assert!(NR_SKIPS == 6);
    add(Skip::SelfCpu);
    add(Skip::Idle);
    add(Skip::NoMm);
    add(Skip::OtherMm);
    add(Skip::NotRegistered);
    add(Skip::Offline);
}

/// Counts `n` CPUs that `variant` interrupted only because a kernel thread
/// there was caught before its lazy mm was known.
pub(crate) fn lazy_unknown(variant: Variant, n: u32) {
    if n != 0 {
        of(variant).lazy_unknown.add(u64::from(n), Relaxed);
    }
}

/// Counts one run of an IPI handler of `variant` on this CPU, sent from
/// `sender`.
///
/// Called from the IPI handlers, with interrupts off.
pub(crate) fn handler_ran(variant: Variant, sender: CpuId) {
    let what = if CpuId::current() == sender {
        Event::Local
    } else {
        Event::Ipi
    };
    of(variant).count_here(what);
}

/// Counts one invocation of a scheduler hook of `variant` on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook(variant: Variant) {
    of(variant).count_here(Event::Hook);
}

/// Counts one run of the arch's core serialization in a SYNC_CORE IPI
/// handler of `variant`, on this CPU.
///
/// Called from the IPI handlers, with interrupts off.
pub(crate) fn serialized(variant: Variant) {
    of(variant).count_here(Event::Serialized);
}

/// Counts one barrier or core serialization run by a scheduler hook of
/// `variant` for an opted-in mm, on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook_barrier(variant: Variant) {
    of(variant).count_here(Event::HookBarrier);
}

/// Zeroes the counters of every variant.
pub(crate) fn reset() {
    for c in &COUNTERS {
        c.reset();
    }
}

/// Fills the counters of `out.variant` into `out`.
pub(crate) fn snapshot(variant: Variant, out: &mut uapi::Stats) {
    let c = of(variant);

    out.nr_cpu_ids = kernel::cpu::nr_cpu_ids();
    out.calls = c.calls.load(Relaxed);
    out.ipis = c.total(Event::Ipi);
    out.local = c.total(Event::Local);
    out.hooks = c.total(Event::Hook);
    out.serialized = c.total(Event::Serialized);
    out.hook_barriers = c.total(Event::HookBarrier);
    for (o, n) in out.skipped.iter_mut().zip(&c.skipped) {
        *o = n.load(Relaxed);
    }
    out.lazy_unknown = c.lazy_unknown.load(Relaxed);
    for (i, p) in c.per_cpu.iter().enumerate() {
        out.ipis_per_cpu[i] = p.read(Event::Ipi);
        out.hooks_per_cpu[i] = p.read(Event::Hook);
        out.hook_barriers_per_cpu[i] = p.read(Event::HookBarrier);
    }
    if oracle::PRESENT {
        out.oracle = 1;
        out.oracle_mm_violations = oracle::current_mm_violations();
        let nr_cpus = out.nr_cpu_ids.min(MAX_CPUS as u32);
        for (cpu, o) in (0..nr_cpus).zip(out.oracle_violations_per_cpu.iter_mut()) {
            *o = u32::try_from(oracle::cpu_violations(cpu)).unwrap_or(u32::MAX);
        }
    }
}

/// The debugfs view of all counters: `membarrier_alt/stats`.
pub(crate) struct DebugfsView;

impl fmt::Debug for DebugfsView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nr_cpus = (kernel::cpu::nr_cpu_ids() as usize).min(SLOTS);

        for v in Variant::ALL {
            let c = of(v);

            writeln!(f, "{}:", v.name())?;
            writeln!(f, "  calls {}", c.calls.load(Relaxed))?;
            writeln!(f, "  ipis {}", c.total(Event::Ipi))?;
            writeln!(f, "  local {}", c.total(Event::Local))?;
            writeln!(f, "  hooks {}", c.total(Event::Hook))?;
            writeln!(f, "  serialized {}", c.total(Event::Serialized))?;
            writeln!(f, "  hook_barriers {}", c.total(Event::HookBarrier))?;
            for why in Skip::ALL {
                let n = c.skipped[why as usize].load(Relaxed);
                writeln!(f, "  skipped_{} {}", why.name(), n)?;
            }
            writeln!(f, "  lazy_unknown {}", c.lazy_unknown.load(Relaxed))?;
            let fields = [
                ("ipis_per_cpu", Event::Ipi),
                ("hooks_per_cpu", Event::Hook),
                ("hook_barriers_per_cpu", Event::HookBarrier),
            ];
            for (name, what) in fields {
                write!(f, "  {name}")?;
                for p in &c.per_cpu[..nr_cpus] {
                    write!(f, " {}", p.read(what))?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
