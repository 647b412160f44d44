#!/bin/sh
# Builds a Debian bookworm arm64 root (systemd, the Debian kernel and its initrd,
# containerd + runc + CNI plugins) into directory OUT with mmdebstrap and
# qemu-user (binfmt_misc), then shapes it like Raspberry Pi OS's root: the Pi
# fstab (bootfs at /boot/firmware), DHCP on the wired link through
# systemd-networkd. The kernel and initrd are booted from OUT/boot.
# Usage: build-rootfs.sh OUT [--configure-only]   (OUT must not exist otherwise)
set -eu
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${2:-}" != --configure-only ]; then
  mmdebstrap --arch=arm64 --variant=minbase --mode=root --quiet --dpkgopt=force-confold --dpkgopt=force-confdef \
    --include="$(grep -v '^#' "$HERE/packages" | tr '\n' ',' | sed 's/,*$//')" \
    --essential-hook="sh '$HERE/small-initrd.sh' \"\$1\"" \
    --customize-hook='echo "root:root" | chroot "$1" chpasswd' \
    --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
    bookworm "$OUT" http://deb.debian.org/debian
fi
echo raspberrypi > "$OUT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n' > "$OUT/etc/hosts"
mkdir -p "$OUT/boot/firmware"
printf 'proc /proc proc defaults 0 0\nPARTUUID=2c6ea6a9-01 /boot/firmware vfat defaults 0 2\nPARTUUID=2c6ea6a9-02 / ext4 defaults,noatime 0 1\n' > "$OUT/etc/fstab"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' > "$OUT/etc/systemd/network/20-wired.network"
systemctl --root="$OUT" enable systemd-networkd.service systemd-networkd-wait-online.service >/dev/null 2>&1
# Timers that only cost boot time under emulation.
systemctl --root="$OUT" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
ls "$OUT"/boot/vmlinuz-* "$OUT"/boot/initrd.img-* >/dev/null
