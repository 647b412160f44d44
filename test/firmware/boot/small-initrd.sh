#!/bin/sh
# mmdebstrap essential hook: an initrd with only the virt board's disk drivers.
# Debian's default (MODULES=most) copies some 3000 modules, minutes under qemu-user.
set -eu
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"
echo MODULES=list > "$1/etc/initramfs-tools/conf.d/tug-boot-test"
# One initrd, made when the kernel is installed: the initramfs-tools trigger
# that later packages fire would make it again (half a minute under qemu-user).
echo update_initramfs=no > "$1/etc/initramfs-tools/update-initramfs.conf"
cat > "$1/etc/initramfs-tools/hooks/tug-virt-disk" <<'HOOK'
#!/bin/sh
[ "${1:-}" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
manual_add_modules virtio_pci virtio_blk ext4 crc32c_generic
HOOK
chmod 755 "$1/etc/initramfs-tools/hooks/tug-virt-disk"
