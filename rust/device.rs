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
/// Commands act on the calling task's mm, never on the opener's, so an open
/// file carries no state; `fops.owner` pins the module while it is open.
pub(crate) struct MembarrierAltFile;

#[vtable]
impl MiscDevice for MembarrierAltFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self, GFP_KERNEL)?)
    }

    fn ioctl(_me: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
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
                Ok(0)
            }
            uapi::IOC_STATS_RESET => {
                stats::reset();
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}
