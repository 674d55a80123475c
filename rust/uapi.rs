// SPDX-License-Identifier: GPL-2.0

//! Rust mirror of `include/uapi/linux/membarrier_alt.h`.
//!
//! Every structure is `#[repr(C)]` and its size and field offsets are checked
//! at compile time against the values the C header implies, so the two cannot
//! drift apart silently.

use core::mem::{
    offset_of,
    size_of, //
};
use kernel::{
    ioctl::{
        _IO,
        _IOR,
        _IOW,
        _IOWR, //
    },
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// `MEMBARRIER_ALT_ABI_VERSION`.
pub(crate) const ABI_VERSION: u32 = 5;

/// `MEMBARRIER_ALT_IOC_MAGIC`.
const IOC_MAGIC: u32 = 0xB9;

/// `MEMBARRIER_ALT_IOC_VERSION`.
pub(crate) const IOC_VERSION: u32 = _IOR::<Version>(IOC_MAGIC, 0x00);
/// `MEMBARRIER_ALT_IOC_CMD`.
pub(crate) const IOC_CMD: u32 = _IOW::<Cmd>(IOC_MAGIC, 0x01);

/// `enum membarrier_alt_variant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Variant {
    /// `MEMBARRIER_ALT_VARIANT_INTREE`.
    Intree = 0,
    /// `MEMBARRIER_ALT_VARIANT_IDLE_FILTER`.
    IdleFilter = 1,
    /// `MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC`.
    LazyTlbSync = 2,
    /// `MEMBARRIER_ALT_VARIANT_MM_CID_MB`.
    MmCidMb = 3,
}

impl Variant {
    /// Every variant, in `enum membarrier_alt_variant` order.
    pub(crate) const ALL: [Variant; NR_VARIANTS] = [
        Variant::Intree,
        Variant::IdleFilter,
        Variant::LazyTlbSync,
        Variant::MmCidMb,
    ];

    /// Index of this variant in per-variant tables.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// Name used in debugfs.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Variant::Intree => "intree",
            Variant::IdleFilter => "idle-filter",
            Variant::LazyTlbSync => "lazy-tlb-sync",
            Variant::MmCidMb => "mm-cid-mb",
        }
    }

    /// Bit of this variant in [`Version::variants`].
    pub(crate) const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl TryFrom<u32> for Variant {
    type Error = Error;

    /// Decodes a variant selector; values outside the enum are `EINVAL`.
    fn try_from(v: u32) -> Result<Self> {
        match v {
            0 => Ok(Self::Intree),
            1 => Ok(Self::IdleFilter),
            2 => Ok(Self::LazyTlbSync),
            3 => Ok(Self::MmCidMb),
            _ => Err(EINVAL),
        }
    }
}

/// `struct membarrier_alt_version`.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct Version {
    /// `MEMBARRIER_ALT_ABI_VERSION` of this module.
    pub(crate) abi_version: u32,
    /// Bitmask of [`Variant::bit`] values this module implements.
    pub(crate) variants: u32,
}

const _: () = {
    assert!(size_of::<Version>() == 8);
    assert!(offset_of!(Version, abi_version) == 0);
    assert!(offset_of!(Version, variants) == 4);
};

// SAFETY: `Version` is `repr(C)`, made of `u32` fields only and has no padding
// (checked above), so every byte is initialized.
unsafe impl AsBytes for Version {}

/// `struct membarrier_alt_cmd`.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct Cmd {
    /// `enum membarrier_cmd`.
    pub(crate) cmd: i32,
    /// `enum membarrier_cmd_flag`.
    pub(crate) flags: u32,
    /// Target CPU for `MEMBARRIER_CMD_FLAG_CPU`.
    pub(crate) cpu_id: i32,
    /// `enum membarrier_alt_variant`, not yet validated.
    pub(crate) variant: u32,
}

const _: () = {
    assert!(size_of::<Cmd>() == 16);
    assert!(offset_of!(Cmd, cmd) == 0);
    assert!(offset_of!(Cmd, flags) == 4);
    assert!(offset_of!(Cmd, cpu_id) == 8);
    assert!(offset_of!(Cmd, variant) == 12);
};

// SAFETY: `Cmd` is `repr(C)`, made of 32-bit integers only and has no padding
// (checked above); any bit pattern is a valid value.
unsafe impl FromBytes for Cmd {}

/// `MEMBARRIER_ALT_IOC_STATS`.
pub(crate) const IOC_STATS: u32 = _IOWR::<Stats>(IOC_MAGIC, 0x02);
/// `MEMBARRIER_ALT_IOC_STATS_RESET`.
pub(crate) const IOC_STATS_RESET: u32 = _IO(IOC_MAGIC, 0x03);

/// `MEMBARRIER_ALT_VARIANT_NR`.
pub(crate) const NR_VARIANTS: usize = 4;
/// `MEMBARRIER_ALT_MAX_CPUS`.
pub(crate) const MAX_CPUS: usize = 256;

/// `enum membarrier_alt_skip`: why a CPU was not interrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Skip {
    /// `MEMBARRIER_ALT_SKIP_SELF`.
    SelfCpu = 0,
    /// `MEMBARRIER_ALT_SKIP_IDLE`.
    Idle = 1,
    /// `MEMBARRIER_ALT_SKIP_NO_MM`.
    NoMm = 2,
    /// `MEMBARRIER_ALT_SKIP_OTHER_MM`.
    OtherMm = 3,
    /// `MEMBARRIER_ALT_SKIP_NOT_REGISTERED`.
    NotRegistered = 4,
    /// `MEMBARRIER_ALT_SKIP_OFFLINE`.
    Offline = 5,
}

/// `MEMBARRIER_ALT_SKIP_NR`.
pub(crate) const NR_SKIPS: usize = 6;

impl Skip {
    /// Every reason, in `enum membarrier_alt_skip` order.
    pub(crate) const ALL: [Skip; NR_SKIPS] = [
        Skip::SelfCpu,
        Skip::Idle,
        Skip::NoMm,
        Skip::OtherMm,
        Skip::NotRegistered,
        Skip::Offline,
    ];

    /// Name used in debugfs.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Skip::SelfCpu => "self",
            Skip::Idle => "idle",
            Skip::NoMm => "no_mm",
            Skip::OtherMm => "other_mm",
            Skip::NotRegistered => "not_registered",
            Skip::Offline => "offline",
        }
    }
}

/// `struct membarrier_alt_stats`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Stats {
    /// In: the variant to report.
    pub(crate) variant: u32,
    /// Out: `nr_cpu_ids`.
    pub(crate) nr_cpu_ids: u32,
    /// Calls with this variant.
    pub(crate) calls: u64,
    /// Handler runs on CPUs other than the sender's.
    pub(crate) ipis: u64,
    /// Handler runs on the sender's CPU.
    pub(crate) local: u64,
    /// Scheduler hook invocations.
    pub(crate) hooks: u64,
    /// Runs of the arch's core serialization in SYNC_CORE IPI handlers.
    pub(crate) serialized: u64,
    /// Barriers or serializations run by the scheduler hooks.
    pub(crate) hook_barriers: u64,
    /// Skipped CPUs, indexed by [`Skip`].
    pub(crate) skipped: [u64; NR_SKIPS],
    /// CPUs targeted for a kernel thread whose lazy mm was not yet known.
    pub(crate) lazy_unknown: u64,
    /// `ipis` by receiving CPU.
    pub(crate) ipis_per_cpu: [u64; MAX_CPUS],
    /// `hooks` by the CPU the hook ran on.
    pub(crate) hooks_per_cpu: [u64; MAX_CPUS],
    /// `hook_barriers` by the CPU the hook ran on.
    pub(crate) hook_barriers_per_cpu: [u64; MAX_CPUS],
    /// 1 if the kernel has the SYNC_CORE oracle (the fields below), else 0.
    pub(crate) oracle: u32,
    /// Zero.
    pub(crate) reserved: u32,
    /// The oracle's violations for the caller's mm, since it was created,
    /// by every implementation; not reset.
    pub(crate) oracle_mm_violations: u64,
    /// The oracle's violations by CPU, since boot, saturated at `u32::MAX`;
    /// not reset. 32 bits: with 64, the structure would outgrow the 13-bit
    /// size field of powerpc's ioctl numbers.
    pub(crate) oracle_violations_per_cpu: [u32; MAX_CPUS],
}

impl Stats {
    /// All counters zero, for `variant`.
    pub(crate) const fn new(variant: Variant) -> Self {
        Self {
            variant: variant as u32,
            nr_cpu_ids: 0,
            calls: 0,
            ipis: 0,
            local: 0,
            hooks: 0,
            serialized: 0,
            hook_barriers: 0,
            skipped: [0; NR_SKIPS],
            lazy_unknown: 0,
            ipis_per_cpu: [0; MAX_CPUS],
            hooks_per_cpu: [0; MAX_CPUS],
            hook_barriers_per_cpu: [0; MAX_CPUS],
            oracle: 0,
            reserved: 0,
            oracle_mm_violations: 0,
            oracle_violations_per_cpu: [0; MAX_CPUS],
        }
    }
}

const _: () = {
    const PER_CPU: usize = 56 + NR_SKIPS * 8 + 8;
    const ORACLE: usize = PER_CPU + 3 * MAX_CPUS * 8;
    assert!(size_of::<Stats>() == ORACLE + 16 + MAX_CPUS * 4);
    // powerpc's _IOC_SIZEBITS is 13.
    assert!(size_of::<Stats>() < 1 << 13);
    assert!(offset_of!(Stats, variant) == 0);
    assert!(offset_of!(Stats, nr_cpu_ids) == 4);
    assert!(offset_of!(Stats, calls) == 8);
    assert!(offset_of!(Stats, ipis) == 16);
    assert!(offset_of!(Stats, local) == 24);
    assert!(offset_of!(Stats, hooks) == 32);
    assert!(offset_of!(Stats, serialized) == 40);
    assert!(offset_of!(Stats, hook_barriers) == 48);
    assert!(offset_of!(Stats, skipped) == 56);
    assert!(offset_of!(Stats, lazy_unknown) == 56 + NR_SKIPS * 8);
    assert!(offset_of!(Stats, ipis_per_cpu) == PER_CPU);
    assert!(offset_of!(Stats, hooks_per_cpu) == PER_CPU + MAX_CPUS * 8);
    assert!(offset_of!(Stats, hook_barriers_per_cpu) == PER_CPU + 2 * MAX_CPUS * 8);
    assert!(offset_of!(Stats, oracle) == ORACLE);
    assert!(offset_of!(Stats, reserved) == ORACLE + 4);
    assert!(offset_of!(Stats, oracle_mm_violations) == ORACLE + 8);
    assert!(offset_of!(Stats, oracle_violations_per_cpu) == ORACLE + 16);
};

// SAFETY: `Stats` is `repr(C)`, made of integers and integer arrays, and has
// no padding (checked above), so every byte is initialized.
unsafe impl AsBytes for Stats {}
