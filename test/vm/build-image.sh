#!/usr/bin/env bash
# build-image.sh - the kernel and base initramfs of the IPVS test VM, from
# Debian packages only, cached in $TUG_VM_CACHE (default test/vm/.cache).
# Idempotent: exits at once when the cache matches the current kernel package
# and this script + init. vm.ts calls it before every boot.
#
#   kernel      `apt-get download linux-image-<ver>-cloud-amd64` (the package
#               the meta package linux-image-cloud-amd64 depends on: 26 MB,
#               has IP_VS, nftables, dummy and veth as modules), unpacked with
#               dpkg-deb -x, never installed on this machine.
#   vmlinux     the ELF kernel cut out of the LZ4-packed bzImage, so qemu boots
#               it through its PVH entry and the guest skips decompression
#               (a few seconds under TCG).
#   initramfs   busybox-static applets, bash as /bin/sh, ipvsadm, iproute2 ip,
#               nft, glibc's libraries for a prebuilt Bun, the netfilter / IPVS
#               / dummy / veth modules with their dependencies, ./init as PID 1.
#
# Host tools it uses (no apt-get install here; the test names what is missing):
#   apt-get dpkg-deb depmod modprobe(kmod) lz4 cpio busybox(static) ipvsadm ip nft
set -euo pipefail
trap 'echo "[vm-image] failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${TUG_VM_CACHE:-$HERE/.cache}"
FLAVOR="${TUG_VM_KERNEL_FLAVOR:-cloud-amd64}"
mkdir -p "$CACHE"
log() { echo "[vm-image] $*" >&2; }
DEPMOD=$(command -v depmod || echo /usr/sbin/depmod)
MODPROBE=$(command -v modprobe || echo /usr/sbin/modprobe)

# ---------------------------------------------------------- which kernel
# linux-image-cloud-amd64 is a meta package: "Depends: linux-image-6.1.0-NN-cloud-amd64".
resolve() { apt-cache depends "linux-image-$FLAVOR" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
KPKG="${TUG_VM_KERNEL_PACKAGE:-$(resolve)}"
if [ -z "$KPKG" ]; then
  # offline rebuild: a .deb already in the cache will do
  KPKG=$(ls "$CACHE"/linux-image-*-"$FLAVOR"_*.deb 2>/dev/null | tail -1 | xargs -r basename | cut -d_ -f1)
fi
if [ -z "$KPKG" ]; then apt-get update -qq; KPKG=$(resolve); fi
[ -n "$KPKG" ] || { log "cannot resolve linux-image-$FLAVOR (apt lists?)"; exit 1; }
KVER="${KPKG#linux-image-}"        # = uname -r in the VM

STAMP="$KVER $(cat "$HERE/init" "$HERE/build-image.sh" | md5sum | cut -c1-12)"
if [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$STAMP" ] && [ -s "$CACHE/initramfs.cpio" ] && [ -s "$CACHE/vmlinux" ]; then
  exit 0
fi

deb=$(ls "$CACHE/${KPKG}"_*.deb 2>/dev/null | tail -1 || true)
if [ -z "$deb" ]; then
  log "apt-get download $KPKG"
  rm -f "$CACHE"/linux-image-*.deb
  # apt's sandbox user cannot write here: that warning is expected
  ( cd "$CACHE" && apt-get download "$KPKG" 2>&1 | { grep -v 'unsandboxed' || true; } >&2 )
  deb=$(ls "$CACHE/${KPKG}"_*.deb | tail -1)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tug-vm-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
KROOT="$work/kernel"
log "unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$KROOT"
"$DEPMOD" -b "$KROOT" "$KVER"        # the .deb ships no modules.dep

# ---------------------------------------------------------- vmlinux (PVH)
# The payload starts at the LZ4 legacy magic; lz4 complains about the bytes
# after it and tail may die of SIGPIPE, but the output is complete.
bz="$KROOT/boot/vmlinuz-$KVER"
off=$(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$bz" | head -1 | cut -d: -f1)
tail -c +$((off + 1)) "$bz" | lz4 -dc 2>/dev/null > "$work/vmlinux" || true
[ "$(head -c4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || { log "no ELF kernel inside $bz"; exit 1; }

# ---------------------------------------------------------- root file system
R="$work/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,etc,proc,sys,dev,tmp,run,root,host}

# a dynamically linked binary and the libraries ldd names
copy_bin() {
  install -D -m 0755 "$(readlink -f "$1")" "$R$2"
  ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | while read -r lib; do
    [ -e "$R$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R$lib"
  done
}
copy_bin /bin/bash /bin/bash
copy_bin /usr/sbin/ipvsadm /sbin/ipvsadm
copy_bin "$(command -v ip)" /sbin/ip
copy_bin "$(command -v nft)" /sbin/nft
# the rest of what a prebuilt glibc Bun loads
for l in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libgcc_s.so.1 libnss_files.so.2; do
  f=/lib/x86_64-linux-gnu/$l
  [ -e "$R$f" ] || install -D -m 0755 "$(readlink -f "$f")" "$R$f"
done
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || install -D -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$R/lib64/ld-linux-x86-64.so.2"

install -m 0755 /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || [ -e "$R/bin/$a" ] || [ -e "$R/sbin/$a" ] || ln -s busybox "$R/bin/$a"
done
ln -sf ../bin/busybox "$R/sbin/modprobe"   # the kernel's request_module() runs /sbin/modprobe
# bash, not busybox ash: Debian's ash runs its own applets before PATH, so
# "ip" in a script would be busybox's (no netns, no veth).
ln -sf bash "$R/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf '127.0.0.1 localhost\n' > "$R/etc/hosts"
printf 'hosts: files\n' > "$R/etc/nsswitch.conf"

# modules: the list and every dependency, resolved against the unpacked tree,
# then depmod'ed again so busybox modprobe (and the kernel's autoload through
# modules.alias, e.g. nft-chain-2-nat) work in the VM.
MODS="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_mh
      nf_conntrack nf_conntrack_netlink nf_nat dummy veth
      nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_reject_inet nft_reject_ipv4 nft_numgen nft_hash"
MD="lib/modules/$KVER"
mkdir -p "$R/$MD"
for m in $MODS; do
  "$MODPROBE" -d "$KROOT" -S "$KVER" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | sort -u | while read -r ko; do
  install -D -m 0644 "$ko" "$R/${ko#"$KROOT"/}"
done
cp "$KROOT/$MD"/modules.order "$KROOT/$MD"/modules.builtin "$KROOT/$MD"/modules.builtin.modinfo "$R/$MD/"
"$DEPMOD" -b "$R" "$KVER"
install -m 0755 "$HERE/init" "$R/init"

( cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet ) > "$CACHE/initramfs.cpio"
mv "$work/vmlinux" "$CACHE/vmlinux"
echo "$STAMP" > "$CACHE/stamp"
log "ready: kernel $KVER, initramfs $(du -h "$CACHE/initramfs.cpio" | cut -f1), $(find "$R/$MD" -name '*.ko' | wc -l) modules"
