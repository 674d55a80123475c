#!/bin/sh
# /sbin/udevadm of the foreign guests' root (scripts/rootfs.sh), which has
# no udev: virtme-ng's virtme-init runs "udevadm settle" and then needs
# the /dev/virtio-ports/virtme.* links that udev would make, to pass the
# command's output and exit status back to the host.  This makes them
# from /sys/class/virtio-ports/*/name and, for a --exec boot, waits up to
# 60 s for all six.  Every other udevadm call does nothing.  busybox sh.
[ "$1" = settle ] || exit 0
want=
grep -q 'virtme\.exec=' /proc/cmdline &&
	want="stdin stdout stderr dev_stdout dev_stderr ret"
mkdir -p /dev/virtio-ports
i=0
while :; do
	for p in /sys/class/virtio-ports/vport*; do
		n=$(cat "$p/name" 2>/dev/null) && [ -n "$n" ] &&
			ln -sfn "../${p##*/}" "/dev/virtio-ports/$n"
	done
	ok=1
	for n in $want; do
		[ -e "/dev/virtio-ports/virtme.$n" ] || ok=
	done
	[ -n "$ok" ] && exit 0
	i=$((i + 1))
	[ "$i" -lt 600 ] || exit 1
	sleep 0.1
done
