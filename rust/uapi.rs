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
        _IOR,
        _IOW, //
    },
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// `MEMBARRIER_ALT_ABI_VERSION`.
pub(crate) const ABI_VERSION: u32 = 1;

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
