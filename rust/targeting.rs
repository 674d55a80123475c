// SPDX-License-Identifier: GPL-2.0

//! Which CPUs an expedited command interrupts: the policy of each variant.
//!
//! The kernel samples what the CPUs run one cpumask word at a time, as one
//! bitmap per fact (`membarrier_rq_sample_word()`). A policy turns a word of
//! samples into the word of CPUs it interrupts with a few bitwise operations,
//! and counts the CPUs it skips by reason, so that the tests can check the
//! targeting of every variant exactly.

use kernel::{
    bindings,
    cpu::CpuId,
    cpumask::CpumaskVar,
    ffi::c_ulong,
    prelude::*, //
};

use crate::{
    stats,
    uapi::{
        Skip,
        Variant,
        NR_SKIPS, //
    },
};

/// Which tasks a command is aimed at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `GLOBAL_EXPEDITED`: tasks of every mm registered for it.
    Global,
    /// `PRIVATE_EXPEDITED*`: tasks of the caller's mm.
    Private,
}

/// The targeting policy of a variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Today's `kernel/sched/membarrier.c`: a CPU is a target when its
    /// current task has an mm (global) or the caller's mm (private).
    Intree,
    /// Nick Piggin's proposal in `seeds/000` (July 2020), in the words of
    /// the changelog of 618758ed3a4f: exclude runqueues running the idle
    /// thread rather than all kernel threads. Skip a CPU only when it runs
    /// its idle task, so that kernel threads holding the mm lazily are
    /// covered; keep everything else in-tree does, the GLOBAL_EXPEDITED
    /// registration filter included.
    IdleFilter,
}

impl Policy {
    /// The targeting policy of `variant`.
    pub(crate) fn of(variant: Variant) -> Result<Self> {
        match variant {
            Variant::Intree => Ok(Policy::Intree),
            Variant::IdleFilter => Ok(Policy::IdleFilter),
            // These change what the scheduler does (hooks.rs), not whom
            // the commands interrupt.
            Variant::LazyTlbSync | Variant::MmCidMb => Ok(Policy::Intree),
        }
    }

    /// What the policy needs sampled for `scope`: the `MEMBARRIER_STATE_*`
    /// bits of the runqueues it looks at, and whether it reads `rq->curr`
    /// only on the CPUs whose runqueue has one of them.
    ///
    /// The global command of both policies reads `rq->curr` only on CPUs
    /// whose runqueue state has `GLOBAL_EXPEDITED`, as in-tree: the others
    /// cost one load each.
    fn sampling(self, scope: Scope) -> (i32, bool) {
        match scope {
            Scope::Global => (GLOBAL_EXPEDITED, true),
            Scope::Private => (0, false),
        }
    }

    /// The CPUs of `w` that get an IPI for `scope`; the other CPUs sampled
    /// online in `w` are added to `skipped`, each under one reason.
    ///
    /// `w` was sampled with [`Policy::sampling`] of `self` and `scope`.
    ///
    /// Inlined: the caller then branches on the policy once per word of
    /// CPUs, and the words stay in registers.
    #[inline(always)]
    fn targets(self, scope: Scope, w: &RqWord, skipped: &mut Skipped) -> c_ulong {
        let b = &w.bits;

        match (self, scope) {
            (Policy::Intree, Scope::Global) => {
                // `rq->curr` was only read on the registered CPUs.
                skipped.add(Skip::NotRegistered, b.online & !b.state);
                let kernel = b.state & b.no_mm;
                skipped.add(Skip::Idle, kernel & b.idle);
                skipped.add(Skip::NoMm, kernel & !b.idle);
                b.state & !b.no_mm
            }
            (Policy::Intree, Scope::Private) => {
                // A task with the caller's mm has an mm: `mm_match` and
                // `no_mm` are disjoint.
                skipped.add(Skip::Idle, b.no_mm & b.idle);
                skipped.add(Skip::NoMm, b.no_mm & !b.idle);
                skipped.add(Skip::OtherMm, b.online & !b.mm_match & !b.no_mm);
                b.mm_match
            }
            (Policy::IdleFilter, Scope::Global) => {
                // As in-tree, with `rq->curr == rq->idle` for "no mm". A
                // kernel thread on a registered runqueue took over the
                // registered mm lazily from the user task before it: the
                // runqueue state changes on a switch to a user task
                // (membarrier_switch_mm()), in kthread_{use,unuse}_mm(),
                // exit_mm(), exec and registration, never on a switch to
                // a kernel thread. Kernel threads on other runqueues are
                // skipped, as the proposal keeps the filter; so are those
                // whose runqueue state went stale (exit_mm() and
                // kthread_unuse_mm() zero it while the mm stays lazily
                // held), which in-tree skips as well.
                skipped.add(Skip::NotRegistered, b.online & !b.state);
                skipped.add(Skip::Idle, b.state & b.idle);
                b.state & !b.idle
            }
            (Policy::IdleFilter, Scope::Private) => {
                skipped.add(Skip::Idle, b.idle);
                // A user thread of the mm, a kernel thread inside
                // kthread_use_mm() of it, or a kernel thread holding it
                // lazily, which in-tree skips. A kernel thread caught
                // before its lazy mm was stored (`no_active_mm`, see
                // membarrier_rq_sample_word()) may be taking over ours:
                // it is a target too, so that no lazy holder is missed.
                let lazy = b.kthread & (b.active_mm_match | b.no_active_mm);
                let targets = !b.idle & (b.mm_match | lazy);
                skipped.lazy_unknown(targets & !b.mm_match & !b.active_mm_match);
                // A kernel thread with neither the mm nor its page tables
                // is not a target, as in-tree: it cannot reach the
                // caller's memory through user addresses at all.
                let rest = b.online & !b.idle & !targets;
                skipped.add(Skip::NoMm, rest & b.no_mm);
                skipped.add(Skip::OtherMm, rest & !b.no_mm);
                targets
            }
        }
    }
}

const GLOBAL_EXPEDITED: i32 = bindings::MEMBARRIER_STATE_GLOBAL_EXPEDITED as i32;

/// CPUs per cpumask word.
const WORD_BITS: u32 = c_ulong::BITS;

/// How many CPUs a command skipped, by reason ([`Skip`] as the index).
///
/// Counted per command and handed to the stats once: one shared
/// atomic per CPU per call is a cost the syscall does not pay. `u32`: at
/// most `nr_cpu_ids` per reason, and few enough bytes to be zeroed with a
/// few stores instead of a call to `memset()`.
///
/// # Invariants
///
/// With `on` false, nothing is counted: every count stays zero.
struct Skipped {
    /// Whether anybody reads the counters ([`stats::counting()`]), as of
    /// the start of the command: if not, the command counts nothing.
    on: bool,
    by_reason: [u32; NR_SKIPS],
    /// Targets taken only because their lazy mm was not yet known.
    lazy_unknown: u32,
}

impl Skipped {
    /// Nothing skipped yet; counting if anybody reads the counters.
    #[inline]
    fn new() -> Self {
        Self {
            on: stats::counting(),
            by_reason: [0; NR_SKIPS],
            lazy_unknown: 0,
        }
    }

    /// Counts the CPUs of `cpus` under `why`.
    #[inline]
    fn add(&mut self, why: Skip, cpus: c_ulong) {
        // Most reasons count no CPU in a given call, and without a popcnt
        // instruction in the baseline ISA a count costs a dozen more.
        // No overflow: at most nr_cpu_ids CPUs per reason and command.
        if self.on && cpus != 0 {
            let n = &mut self.by_reason[why as usize];
            *n = n.wrapping_add(cpus.count_ones());
        }
    }

    /// Counts one CPU under `why`.
    #[inline]
    fn add_one(&mut self, why: Skip) {
        if self.on {
            let n = &mut self.by_reason[why as usize];
            *n = n.wrapping_add(1);
        }
    }

    /// Counts the CPUs of `cpus` as targets whose lazy mm was unknown.
    #[inline]
    fn lazy_unknown(&mut self, cpus: c_ulong) {
        if self.on && cpus != 0 {
            self.lazy_unknown = self.lazy_unknown.wrapping_add(cpus.count_ones());
        }
    }

    /// Hands the counts to the stats of `variant`.
    #[inline]
    fn report(&self, variant: Variant) {
        if self.on {
            stats::skips(variant, &self.by_reason);
            stats::lazy_unknown(variant, self.lazy_unknown);
        }
    }
}

/// What the CPUs of one cpumask word were running, from
/// `membarrier_rq_sample_word()`: bit `n` of each member is CPU
/// `index * WORD_BITS + n`.
///
/// # Invariants
///
/// Every bit set in a member of `bits` is set in `bits.online`, and
/// `bits.online` is a subset of the CPUs asked about.
///
/// It is stale as soon as it is taken; see the ordering comment of
/// `membarrier_rq_sample_word()` for the barriers that make it usable,
/// which the commands provide.
struct RqWord {
    bits: bindings::membarrier_rq_bits,
}

impl RqWord {
    /// Samples the CPUs `cpus` of cpumask word `index`, comparing their
    /// current tasks' mm with `mm` (which may be null), as `policy` needs
    /// for `scope`.
    ///
    /// The caller holds `cpus_read_lock()`.
    #[inline]
    fn sample(
        policy: Policy,
        scope: Scope,
        index: u32,
        cpus: c_ulong,
        mm: *const bindings::mm_struct,
    ) -> Self {
        let (state_mask, curr_needs_state) = policy.sampling(scope);
        let mut bits = core::mem::MaybeUninit::uninit();

        // SAFETY: `bits` has room for the one record it fills in; the
        // caller holds `cpus_read_lock()`; `mm` is only compared, never
        // dereferenced.
        unsafe {
            bindings::membarrier_rq_sample_word(
                index,
                cpus,
                mm,
                state_mask,
                curr_needs_state,
                bits.as_mut_ptr(),
            )
        };
        // INVARIANT: `membarrier_rq_sample_word()` sets bits only for the
        // CPUs of `cpus` it found online, and reports those in `online`.
        Self {
            // SAFETY: `membarrier_rq_sample_word()` stores every member.
            bits: unsafe { bits.assume_init() },
        }
    }
}

/// Adds to `mask` every online CPU `policy` targets for `scope`, comparing
/// with `mm` (null for the global command), and counts in the stats of
/// `variant` why the others are skipped. The global command leaves out the
/// calling CPU first, as in-tree.
///
/// The caller holds `cpus_read_lock()` and the barrier scope, and `mask`
/// is empty.
///
/// Inlined into each command, whose `scope` is a constant: the branches on
/// the scope and the sampling arguments then fold away.
#[inline(always)]
pub(crate) fn select_targets(
    variant: Variant,
    policy: Policy,
    scope: Scope,
    mm: *const bindings::mm_struct,
    mask: &mut CpumaskVar,
) {
    let mut skipped = Skipped::new();
    let nr_cpu_ids = kernel::cpu::nr_cpu_ids();
    // Only the global command leaves out the CPU the caller runs on when
    // this is read, which is in program order with it even if the caller
    // migrates afterwards; in-tree reads it in the loop, for the same
    // reason. It stays online: the caller holds cpus_read_lock(). The
    // private commands do not read it here: on powerpc it is a helper call.
    let this_cpu = (scope == Scope::Global).then(|| CpuId::current().as_u32());
    let raw = mask.as_raw();

    for index in 0..nr_cpu_ids.div_ceil(WORD_BITS) {
        let left = nr_cpu_ids - index * WORD_BITS;
        let mut cpus = if left < WORD_BITS {
            (1 << left) - 1
        } else {
            !0
        };
        if let Some(cpu) = this_cpu.filter(|cpu| cpu / WORD_BITS == index) {
            cpus &= !(1 << (cpu % WORD_BITS));
            skipped.add_one(Skip::SelfCpu);
        }
        let w = RqWord::sample(policy, scope, index, cpus, mm);
        skipped.add(Skip::Offline, cpus & !w.bits.online);
        let targets = policy.targets(scope, &w, &mut skipped);
        // SAFETY: `raw` is the cpumask `mask` owns, and nobody else uses it
        // while the caller holds `&mut`; `index` is below
        // BITS_TO_LONGS(nr_cpu_ids), so within its `bits`.
        if let Some(word) = unsafe { (*raw).bits.get_mut(index as usize) } {
            *word = targets;
        }
    }
    skipped.report(variant);
}

/// Whether `policy` interrupts `cpu` for a private command, comparing with
/// the caller's `mm`; if not, counts why in the stats of `variant`.
///
/// The caller holds `cpus_read_lock()` and the barrier scope.
pub(crate) fn targets_cpu(
    variant: Variant,
    policy: Policy,
    cpu: CpuId,
    mm: *const bindings::mm_struct,
) -> bool {
    let bit: c_ulong = 1 << (cpu.as_u32() % WORD_BITS);
    let w = RqWord::sample(policy, Scope::Private, cpu.as_u32() / WORD_BITS, bit, mm);
    let mut skipped = Skipped::new();

    skipped.add(Skip::Offline, bit & !w.bits.online);
    let hit = policy.targets(Scope::Private, &w, &mut skipped) & bit != 0;
    skipped.report(variant);
    hit
}
