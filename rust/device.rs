// SPDX-License-Identifier: GPL-2.0

//! `/dev/membarrier_alt`: the misc device and its ioctl decoding.

use core::mem::size_of;
use kernel::{
    fs::File,
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    command,
    stats,
    uapi, //
};

/// Per-open state of `/dev/membarrier_alt`.
///
/// Commands act on the calling task's mm, never on the opener's; what an
/// open file carries is whether it asked for the counters, which turns
/// counting on until it is closed (stats.rs). `fops.owner` pins the module
/// while it is open.
///
/// # Invariants
///
/// `reader` is true iff this file counts in `stats::reader_opened()`.
pub(crate) struct MembarrierAltFile {
    reader: Atomic<bool>,
}

impl MembarrierAltFile {
    /// This file reads the counters: count from now until it is closed.
    fn read_counters(&self) {
        // INVARIANT: only the call that sets `reader` counts it.
        if !self.reader.xchg(true, Relaxed) {
            stats::reader_opened();
        }
    }
}

impl Drop for MembarrierAltFile {
    fn drop(&mut self) {
        if self.reader.load(Relaxed) {
            stats::reader_closed();
        }
    }
}

#[vtable]
impl MiscDevice for MembarrierAltFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(
            Self {
                reader: Atomic::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    fn ioctl(me: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::from_addr(arg);

        match cmd {
            uapi::IOC_VERSION => {
                let version = uapi::Version {
                    abi_version: uapi::ABI_VERSION,
                    variants: command::SUPPORTED_VARIANTS,
                };
                UserSlice::new(arg, size_of::<uapi::Version>())
                    .writer()
                    .write(&version)?;
                Ok(0)
            }
            uapi::IOC_CMD => {
                let c: uapi::Cmd = UserSlice::new(arg, size_of::<uapi::Cmd>())
                    .reader()
                    .read()?;
                command::run(&c)
            }
            uapi::IOC_STATS => {
                let (mut reader, mut writer) =
                    UserSlice::new(arg, size_of::<uapi::Stats>()).reader_writer();
                let variant = uapi::Variant::try_from(reader.read::<u32>()?)?;
                // Over 2 KiB: keep it off the kernel stack.
                let mut out = KBox::new(uapi::Stats::new(variant), GFP_KERNEL)?;
                stats::snapshot(variant, &mut out);
                writer.write(&*out)?;
                // Last: a call that fails leaves counting as it was.
                me.read_counters();
                Ok(0)
            }
            uapi::IOC_STATS_RESET => {
                me.read_counters();
                stats::reset();
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}
