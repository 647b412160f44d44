#!/bin/sh
# Prepares a Raspberry Pi OS (64-bit) image or SD card so the board joins a
# tug cluster on its first boot. Nothing is mounted: mtools edits the FAT boot
# partition and debugfs the ext4 root, at offsets read with `sfdisk -d`.
#
#   prepare-image.sh --image FILE|/dev/sdX --server https://SERVER:6443 (--token T | --token-file F)
#                    [--hostname H] [--wifi-ssid S --wifi-psk P [--wifi-country CC]] [--ssh-key FILE]
#                    [--binary dist/tug-linux-arm64] [--mode image|bootfs]
#
#   --mode image   (default) the binary, the agent unit and a first-boot unit go into the
#                  root filesystem; the join settings go onto the boot partition.
#   --mode bootfs  only the boot partition is written (a card already flashed): the files
#                  go onto it with a firstrun.sh run once by systemd.run= (Bookworm), or by
#                  cloud-init on images that use it (Trixie: a meta-data file on bootfs).
#
# On the board, the first boot moves the token off the boot partition into a 0600 file.
# Running it twice gives the same result. Nothing depends on PARTUUID.
set -eu

die() { echo "prepare-image: $*" >&2; exit 2; }
# sfdisk and debugfs live in /usr/sbin, outside a normal user's PATH on Debian; no root is needed for an image file.
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
IMG=; SERVER=; TOKEN=; TOKEN_FILE=; HOST=; SSID=; PSK=; CC=; SSH_KEY=; MODE=image
BIN=${TUG_BINARY:-$HERE/../dist/tug-linux-arm64}
while [ $# -gt 0 ]; do
  case "$1" in
    --image|--server|--token|--token-file|--hostname|--wifi-ssid|--wifi-psk|--wifi-country|--ssh-key|--binary|--mode)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --image) IMG=$2 ;; --server) SERVER=$2 ;; --token) TOKEN=$2 ;; --token-file) TOKEN_FILE=$2 ;;
        --hostname) HOST=$2 ;; --wifi-ssid) SSID=$2 ;; --wifi-psk) PSK=$2 ;; --wifi-country) CC=$2 ;;
        --ssh-key) SSH_KEY=$2 ;; --binary) BIN=$2 ;; --mode) MODE=$2 ;;
      esac
      shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
done

# --- inputs, all checked before anything is written ---
for tool in sfdisk mcopy mmd mtype mdir minfo debugfs od md5sum; do
  command -v "$tool" >/dev/null 2>&1 || die "needs $tool (apt-get install fdisk mtools e2fsprogs coreutils)"
done
case "$MODE" in image|bootfs) ;; *) die "--mode must be image or bootfs, not \"$MODE\"" ;; esac
[ -n "$IMG" ] || die "--image FILE|/dev/sdX is required"
[ -f "$IMG" ] || [ -b "$IMG" ] || die "--image: no such image or device: $IMG"
case "$SERVER" in
  https://?*) ;;
  "") die "--server https://SERVER:6443 is required" ;;
  *) die "--server must be an https:// URL, not \"$SERVER\"" ;;
esac
if [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || die "--token-file: cannot read $TOKEN_FILE"
  TOKEN=$(tr -d '\r\n' < "$TOKEN_FILE")
fi
[ -n "$TOKEN" ] || die "the token is empty: --token T or --token-file F (from 'tug token create')"
printf '%s' "$TOKEN" | grep -Eq '^[A-Za-z0-9._:+/=-]+$' || die "the token has characters a join token never has: copy it again from 'tug token create'"
[ -z "$HOST" ] || printf '%s' "$HOST" | grep -Eq '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' || die "--hostname must be lowercase letters, digits and '-' (at most 63), not \"$HOST\""
if [ -n "$SSID" ] || [ -n "$PSK" ]; then
  [ -n "$SSID" ] || die "--wifi-psk needs --wifi-ssid"
  [ ${#SSID} -le 32 ] || die "--wifi-ssid: at most 32 characters"
  [ ${#PSK} -ge 8 ] && [ ${#PSK} -le 63 ] || die "--wifi-psk must be 8 to 63 characters"
  printf '%s%s' "$SSID" "$PSK" | grep -q '[[:cntrl:]]' && die "--wifi-ssid/--wifi-psk: no control characters or newlines"
fi
[ -z "$CC" ] || printf '%s' "$CC" | grep -Eq '^[A-Z]{2}$' || die "--wifi-country must be two capital letters (ISO 3166, e.g. DE), not \"$CC\""
if [ -n "$SSH_KEY" ]; then
  [ -r "$SSH_KEY" ] || die "--ssh-key: cannot read $SSH_KEY"
  grep -Eq '^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/=]+' "$SSH_KEY" || die "--ssh-key: $SSH_KEY is not an OpenSSH public key (ssh-ed25519 AAAA…)"
fi
[ -f "$BIN" ] || die "--binary: no tug binary at $BIN (build it with 'npm run build')"
# ELF magic, and e_machine 0xb7: the board runs arm64 (Bun has no 32-bit ARM build).
[ "$(od -An -tx1 -N4 "$BIN" | tr -d ' ')" = 7f454c46 ] && [ "$(od -An -tx1 -j18 -N2 "$BIN" | tr -d ' ')" = b700 ] ||
  die "--binary: $BIN is not an arm64 Linux binary (use dist/tug-linux-arm64; 32-bit ARM is not supported)"

# The partitions, from the MBR: the first FAT32/FAT16 one (type c, b or e) and the first Linux one (83).
TABLE=$(sfdisk -d "$IMG" 2>/dev/null) || die "--image: $IMG has no partition table sfdisk can read"
printf '%s\n' "$TABLE" | grep -q '^label: dos' || die "--image: $IMG is not an MBR (dos) image like Raspberry Pi OS"
PARTS=$(printf '%s\n' "$TABLE" | sed -n 's/.*start= *\([0-9]*\).*type= *\([0-9a-fA-F]*\).*/\1 \2/p' | awk '
  !b && ($2 == "c" || $2 == "b" || $2 == "e") { b = $1; next }
  !r && $2 == "83" { r = $1 }
  END { print (b ? b : 0), (r ? r : 0) }')
BOOT_START=${PARTS% *}; ROOT_START=${PARTS#* }
[ "$BOOT_START" != 0 ] || die "--image: $IMG has no FAT boot partition (MBR type c, b or e)"
[ "$MODE" = bootfs ] || [ "$ROOT_START" != 0 ] || die "--image: $IMG has no Linux root partition (MBR type 83); with only the boot partition use --mode bootfs"

export MTOOLS_SKIP_CHECK=1
BOOT="$IMG@@$((BOOT_START * 512))"
ROOTFS="$IMG?offset=$((ROOT_START * 512))"
mdir -b -i "$BOOT" :: >/dev/null 2>&1 || die "--image: the boot partition of $IMG is not a FAT filesystem"
CMDLINE=$(mtype -i "$BOOT" ::cmdline.txt 2>/dev/null | head -n 1 | tr -d '\r\n') || true
[ -n "$CMDLINE" ] || die "--image: no cmdline.txt on the boot partition of $IMG (not a Raspberry Pi OS image?)"
BIN_BYTES=$(wc -c < "$BIN")
if [ "$MODE" = image ]; then
  debugfs -R 'stat /etc' "$ROOTFS" 2>/dev/null | grep -q '^Inode:' || die "--image: the root partition of $IMG is not an ext4 filesystem with /etc"
  # Room for the binary (less an old copy it replaces), and a margin for the rest.
  STATS=$(debugfs -R stats "$ROOTFS" 2>/dev/null)
  FREE_BLOCKS=$(printf '%s\n' "$STATS" | sed -n 's/^Free blocks: *\([0-9]*\)$/\1/p' | head -n 1)
  BLOCK_SIZE=$(printf '%s\n' "$STATS" | sed -n 's/^Block size: *\([0-9]*\)$/\1/p' | head -n 1)
  FREE=$(( ${FREE_BLOCKS:-0} * ${BLOCK_SIZE:-0} ))
  OLD=$(debugfs -R 'stat /usr/local/bin/tug' "$ROOTFS" 2>/dev/null | sed -n 's/^User:.* Size: *\([0-9]*\)$/\1/p' | head -n 1)
  [ $((FREE + ${OLD:-0})) -ge $((BIN_BYTES + 4194304)) ] ||
    die "--image: the root partition of $IMG has $((FREE / 1048576)) MiB free; tug needs $((BIN_BYTES / 1048576 + 4)) MiB: grow it first"
else
  INFO=$(minfo -i "$BOOT" 2>/dev/null) || true
  FAT_FREE=$(printf '%s\n' "$INFO" | sed -n 's/^free clusters=\([0-9]*\).*/\1/p' | head -n 1)
  FAT_CLUSTER=$(printf '%s\n' "$INFO" | sed -n 's/^cluster size: *\([0-9]*\) sectors.*/\1/p' | head -n 1)
  if [ -n "$FAT_FREE" ] && [ -n "$FAT_CLUSTER" ]; then
    [ $((FAT_FREE * FAT_CLUSTER * 512)) -ge $((BIN_BYTES + 1048576)) ] || die "--image: the boot partition of $IMG has too little room for the tug binary ($((BIN_BYTES / 1048576 + 1)) MiB)"
  fi
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
CLOUD_INIT=0; USER_DATA_OURS=0
if [ "$MODE" = bootfs ] && mdir -b -i "$BOOT" ::meta-data >/dev/null 2>&1; then
  CLOUD_INIT=1
  mtype -i "$BOOT" ::user-data > "$T/user-data.current" 2>/dev/null || : > "$T/user-data.current"
  if grep -q '^# tug:' "$T/user-data.current"; then USER_DATA_OURS=1
  elif [ -s "$T/user-data.current" ] && ! head -n 1 "$T/user-data.current" | grep -q '^#cloud-config'; then
    die "--mode bootfs: the boot partition's cloud-init user-data is not a #cloud-config file; use --mode image"
  fi
fi

# --- the files of this board, written here, copied below ---
# The join settings, in the format of tug-agent.service.env (a systemd EnvironmentFile).
{ echo "TUG_SERVER=$SERVER"; echo "TUG_TOKEN=$TOKEN"; [ -z "$HOST" ] || echo "TUG_NODE_NAME=$HOST"; } > "$T/join.env"
if [ -n "$SSID" ]; then
  # The NetworkManager keyfile Raspberry Pi Imager writes (Bookworm and later); its uuid
  # comes from the SSID, so a second run writes the same file.
  printf '[connection]\nid=tug-wifi\nuuid=%s\ntype=wifi\nautoconnect=true\n\n[wifi]\nmode=infrastructure\nssid=%s\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=%s\n\n[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=default\nmethod=auto\n' \
    "$(printf 'tug-wifi:%s' "$SSID" | md5sum | sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)\(.\{12\}\).*/\1-\2-\3-\4-\5/')" "$SSID" "$PSK" > "$T/wifi.nmconnection"
fi
[ -z "$SSH_KEY" ] || grep -E '^(ssh-|ecdsa-|sk-)' "$SSH_KEY" > "$T/authorized_keys"

# The agent unit: the same one install.sh writes.
mkdir -p "$T/stage/etc/systemd/system" "$T/stage/usr/local/bin"
: > "$T/placeholder"  # the unit is what we want from it, not a copy of the binary
sh "$HERE/install.sh" --root "$T/stage" --agent --binary "$T/placeholder" --skip-deps >/dev/null || die "install.sh --root failed"
cp "$T/stage/etc/systemd/system/tug-agent.service" "$T/tug-agent.service"

cat > "$T/tug-firstboot.service" <<'EOF'
[Unit]
Description=tug first boot: join settings from the boot partition into /etc
ConditionPathExists=|/boot/firmware/tug/join.env
ConditionPathExists=|/boot/tug/join.env
After=local-fs.target
Before=tug-agent.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/tug/firstboot.sh
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF

cat > "$T/firstboot.sh" <<'EOF'
#!/bin/sh
# tug first boot (tug-firstboot.service): moves the join settings from the FAT
# boot partition into a 0600 env file, deletes the token from the FAT, and
# starts the agent. The FAT is /boot/firmware on Bookworm and later, else /boot.
set -eu
BOOT=/boot/firmware; [ -f "$BOOT/tug/join.env" ] || BOOT=/boot
SRC=$BOOT/tug
[ -f "$SRC/join.env" ] || { echo "tug-firstboot: nothing to do"; exit 0; }
ENV=/etc/systemd/system/tug-agent.service.env
# The FAT may have been edited on Windows: drop CRs, keep only TUG_ settings.
(umask 077 && tr -d '\r' < "$SRC/join.env" | grep -E '^TUG_[A-Z_]+=' > "$ENV.new")
chmod 0600 "$ENV.new" && mv -f "$ENV.new" "$ENV"
NODE=$(sed -n 's/^TUG_NODE_NAME=\([a-z0-9-]*\)$/\1/p' "$ENV")
if [ -n "$NODE" ]; then
  echo "$NODE" > /etc/hostname
  if grep -q '^127\.0\.1\.1' /etc/hosts 2>/dev/null; then sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$NODE/" /etc/hosts
  else printf '127.0.1.1\t%s\n' "$NODE" >> /etc/hosts; fi
  hostname "$NODE" 2>/dev/null || true
fi
if [ -f "$SRC/wifi.nmconnection" ]; then
  mkdir -p /etc/NetworkManager/system-connections
  (umask 077 && tr -d '\r' < "$SRC/wifi.nmconnection" > /etc/NetworkManager/system-connections/tug-wifi.nmconnection)
  command -v rfkill >/dev/null 2>&1 && rfkill unblock wifi || true
  for f in /var/lib/systemd/rfkill/*:wlan; do [ -e "$f" ] && echo 0 > "$f"; done
  rm -f "$SRC/wifi.nmconnection"
fi
if [ -f "$SRC/authorized_keys" ]; then
  mkdir -p /root/.ssh && chmod 0700 /root/.ssh
  tr -d '\r' < "$SRC/authorized_keys" >> /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
  rm -f "$SRC/authorized_keys"
fi
# The secret leaves the FAT (readable by anyone holding the card).
rm -f "$SRC/join.env"
sync
mkdir -p /var/lib/tug && date -u +%FT%TZ > /var/lib/tug/firstboot.done
# --no-block: this unit runs Before=tug-agent.service; waiting for it would deadlock.
systemctl enable --now --no-block tug-agent.service >/dev/null 2>&1 || true
echo "tug-firstboot: join settings in $ENV${NODE:+, hostname $NODE}"
EOF

# --- cmdline.txt: one line; the memory cgroup (as K3s asks) and the Wi-Fi country, never twice ---
add() { case " $CMDLINE " in *" $1 "*) ;; *) CMDLINE="$CMDLINE $1" ;; esac; }
add cgroup_memory=1
add cgroup_enable=memory
if [ -n "$CC" ]; then
  CMDLINE=$(printf '%s' "$CMDLINE" | sed 's/ cfg80211\.ieee80211_regdom=[^ ]*//g')
  add "cfg80211.ieee80211_regdom=$CC"
fi
# A previous bootfs-mode run's systemd.run= hook, replaced below when still wanted.
CMDLINE=$(printf '%s' "$CMDLINE" | sed 's/ systemd\.run=[^ ]*tug-firstrun\.sh[^ ]*//; s/ systemd\.run_success_action=reboot//; s/ systemd\.unit=kernel-command-line\.target//')

# --- writes: first the boot partition ---
mdir -b -i "$BOOT" ::tug >/dev/null 2>&1 || mmd -i "$BOOT" ::tug || die "mmd ::tug on the boot partition failed"
mcopy -o -i "$BOOT" "$T/join.env" ::tug/join.env || die "mcopy join.env to the boot partition failed"
[ ! -f "$T/wifi.nmconnection" ] || mcopy -o -i "$BOOT" "$T/wifi.nmconnection" ::tug/wifi.nmconnection || die "mcopy wifi.nmconnection failed"
if [ -f "$T/authorized_keys" ]; then
  mcopy -o -i "$BOOT" "$T/authorized_keys" ::tug/authorized_keys || die "mcopy authorized_keys failed"
  : > "$T/ssh"; mcopy -o -i "$BOOT" "$T/ssh" ::ssh || die "mcopy ssh failed"
fi

if [ "$MODE" = image ]; then
  # debugfs reports a failed command without failing itself: every write is checked after.
  # Old copies are removed in a session of their own: rm then write of the same name in
  # one debugfs session leaves the bitmaps wrong (e2fsck: "bitmap differences").
  FILES="/usr/local/bin/tug /usr/local/lib/tug/firstboot.sh /etc/systemd/system/tug-firstboot.service /etc/systemd/system/tug-agent.service"
  LINKS="/etc/systemd/system/multi-user.target.wants/tug-firstboot.service /etc/systemd/system/multi-user.target.wants/tug-agent.service"
  for f in $FILES $LINKS; do printf 'rm %s\n' "$f"; done > "$T/debugfs-rm.cmds"
  {
    for d in /usr /usr/local /usr/local/bin /usr/local/lib /usr/local/lib/tug /etc/systemd /etc/systemd/system /etc/systemd/system/multi-user.target.wants; do
      printf 'mkdir %s\n' "$d"
    done
    put() { printf 'write %s %s\nsif %s mode 0%s\nsif %s uid 0\nsif %s gid 0\n' "$1" "$2" "$2" "$3" "$2" "$2"; }
    put "$BIN" /usr/local/bin/tug 100755
    put "$T/firstboot.sh" /usr/local/lib/tug/firstboot.sh 100755
    put "$T/tug-firstboot.service" /etc/systemd/system/tug-firstboot.service 100644
    put "$T/tug-agent.service" /etc/systemd/system/tug-agent.service 100644
    for u in tug-firstboot tug-agent; do
      printf 'symlink /etc/systemd/system/multi-user.target.wants/%s.service /etc/systemd/system/%s.service\n' "$u" "$u"
    done
  } > "$T/debugfs.cmds"
  debugfs -w -f "$T/debugfs-rm.cmds" "$ROOTFS" > "$T/debugfs.log" 2>&1 || die "debugfs -w on the root partition failed: $(tail -n 1 "$T/debugfs.log")"
  debugfs -w -f "$T/debugfs.cmds" "$ROOTFS" > "$T/debugfs.log" 2>&1 || die "debugfs -w on the root partition failed: $(tail -n 1 "$T/debugfs.log")"
  check() {
    debugfs -R "stat $1" "$ROOTFS" 2>/dev/null > "$T/stat" || true
    grep -q "Mode: *0*$2" "$T/stat" && grep -q "Size: *$3\$\|Size: $3 " "$T/stat" || die "debugfs: $1 was not written to the root partition: $(grep -v '^debugfs' "$T/debugfs.log" | tail -n 1)"
  }
  check /usr/local/bin/tug 755 "$BIN_BYTES"
  check /usr/local/lib/tug/firstboot.sh 755 "$(wc -c < "$T/firstboot.sh")"
  check /etc/systemd/system/tug-firstboot.service 644 "$(wc -c < "$T/tug-firstboot.service")"
  check /etc/systemd/system/tug-agent.service 644 "$(wc -c < "$T/tug-agent.service")"
  for l in $LINKS; do
    debugfs -R "stat $l" "$ROOTFS" 2>/dev/null | grep -q 'Type: symlink' || die "debugfs: the link $l was not written to the root partition"
  done
else
  # Everything the root filesystem needs rides on the boot partition; firstrun installs it.
  cat > "$T/firstrun.sh" <<'EOF'
#!/bin/sh
# tug: installs tug from the boot partition, once (systemd.run= or cloud-init runcmd).
BOOT=/boot/firmware; [ -f "$BOOT/tug/tug" ] || BOOT=/boot
mkdir -p /usr/local/bin /usr/local/lib/tug /etc/systemd/system
cp "$BOOT/tug/tug" /usr/local/bin/tug && chmod 0755 /usr/local/bin/tug
cp "$BOOT/tug/firstboot.sh" /usr/local/lib/tug/firstboot.sh && chmod 0755 /usr/local/lib/tug/firstboot.sh
for u in tug-firstboot tug-agent; do
  cp "$BOOT/tug/$u.service" /etc/systemd/system/ && chmod 0644 /etc/systemd/system/$u.service
done
systemctl enable tug-firstboot.service tug-agent.service
rm -f "$BOOT/tug/tug" "$BOOT/tug/firstboot.sh" "$BOOT/tug/tug-firstboot.service" "$BOOT/tug/tug-agent.service"
sed -i 's| systemd\.run=[^ ]*tug-firstrun\.sh[^ ]*||; s| systemd\.run_success_action=reboot||; s| systemd\.unit=kernel-command-line\.target||' "$BOOT/cmdline.txt"
rm -f "$BOOT/tug-firstrun.sh"
# Under cloud-init the system is already up: run the first boot now (systemd.run= reboots instead).
[ "${1:-}" != now ] || systemctl start --no-block tug-firstboot.service
exit 0
EOF
  for f in tug firstboot.sh tug-firstboot.service tug-agent.service; do
    src=$T/$f; [ "$f" != tug ] || src=$BIN
    mcopy -o -i "$BOOT" "$src" "::tug/$f" || die "mcopy $f to the boot partition failed (is it full?)"
  done
  mcopy -o -i "$BOOT" "$T/firstrun.sh" ::tug-firstrun.sh || die "mcopy tug-firstrun.sh failed"
  if [ "$CLOUD_INIT" = 1 ]; then
    # cloud-init (Trixie): Imager's own user-data is kept (in tug/user-data.orig, so a
    # second run starts from it) as one part of a multipart user-data; ours is a shell part.
    [ "$USER_DATA_OURS" = 1 ] || [ ! -s "$T/user-data.current" ] || mcopy -o -i "$BOOT" "$T/user-data.current" ::tug/user-data.orig || die "mcopy user-data.orig failed"
    RUN='if [ -f /boot/firmware/tug-firstrun.sh ]; then sh /boot/firmware/tug-firstrun.sh now; else sh /boot/tug-firstrun.sh now; fi'
    if mtype -i "$BOOT" ::tug/user-data.orig > "$T/user-data.orig" 2>/dev/null && [ -s "$T/user-data.orig" ]; then
      { printf 'Content-Type: multipart/mixed; boundary="tug-user-data"\nMIME-Version: 1.0\n\n'
        printf -- '--tug-user-data\nContent-Type: text/cloud-config; charset="utf-8"\n\n'
        cat "$T/user-data.orig"
        printf -- '\n--tug-user-data\nContent-Type: text/x-shellscript; charset="utf-8"\n\n#!/bin/sh\n# tug: runs tug-firstrun.sh from the boot partition once\n%s\n' "$RUN"
        printf -- '--tug-user-data--\n'; } > "$T/user-data"
    else
      printf '#cloud-config\n# tug: runs tug-firstrun.sh from the boot partition once\nruncmd:\n  - [sh, -c, "%s"]\n' "$RUN" > "$T/user-data"
    fi
    mcopy -o -i "$BOOT" "$T/user-data" ::user-data || die "mcopy user-data failed"
  else
    CMDLINE="$CMDLINE systemd.run=/boot/firmware/tug-firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target"
  fi
fi
printf '%s\n' "$CMDLINE" > "$T/cmdline.txt"
mcopy -o -i "$BOOT" "$T/cmdline.txt" ::cmdline.txt || die "mcopy cmdline.txt failed"
echo "prepare-image: $IMG ready ($MODE mode): joins $SERVER${HOST:+ as $HOST} on first boot"
