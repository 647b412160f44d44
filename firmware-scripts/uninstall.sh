#!/bin/sh
# Removes what install.sh added: the tug units and their env files, the
# binary, and the packages install.sh itself installed (containerd, CNI
# plugins, nftables, ipvsadm when they were missing before). install.sh
# copies this script to /usr/local/bin/tug-uninstall.sh.
#
#   --remove-data     also delete /var/lib/tug (the cluster state, credentials, pod volumes)
#   --keep-packages   leave the packages install.sh installed
#   --root DIR        uninstall from DIR; no packages, no systemctl (images, tests) [TUG_ROOT]
set -eu

die() { echo "tug uninstall: $*" >&2; exit 1; }
say() { echo "tug uninstall: $*"; }

ROOT=${TUG_ROOT:-}; REMOVE_DATA=0; KEEP_PACKAGES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --remove-data) REMOVE_DATA=1; shift ;;
    --keep-packages) KEEP_PACKAGES=1; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
done
[ -z "$ROOT" ] || [ -d "$ROOT" ] || die "--root: $ROOT is not a directory"
ROOT=${ROOT%/}
SYSTEMD=0
[ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] && SYSTEMD=1

for unit in tug-agent tug-server tug-firstboot; do
  if [ "$SYSTEMD" = 1 ]; then
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
  rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/$unit.service" \
    "$ROOT/etc/systemd/system/$unit.service" \
    "$ROOT/etc/systemd/system/$unit.service.env"
done
rmdir "$ROOT/etc/systemd/system/multi-user.target.wants" 2>/dev/null || true
[ "$SYSTEMD" = 0 ] || systemctl daemon-reload
rm -f "$ROOT/usr/local/bin/tug" "$ROOT/usr/local/lib/tug/firstboot.sh"
rmdir "$ROOT/usr/local/lib/tug" 2>/dev/null || true

MANIFEST=$ROOT/var/lib/tug-install/packages
if [ -f "$MANIFEST" ] && [ -z "$ROOT" ] && [ "$KEEP_PACKAGES" = 0 ]; then
  pkgs=$(tr '\n' ' ' < "$MANIFEST")
  say "removing the packages install.sh added: $pkgs"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y $pkgs >/dev/null 2>&1 || echo "tug uninstall: warning: apt-get remove $pkgs failed" >&2
fi
rm -rf "$ROOT/var/lib/tug-install"

if [ "$REMOVE_DATA" = 1 ]; then
  rm -rf "$ROOT/var/lib/tug"
  say "removed tug, its units and its data"
else
  say "removed tug and its units; the data stays in $ROOT/var/lib/tug (--remove-data deletes it)"
fi
# Last: this script may be that file.
rm -f "$ROOT/usr/local/bin/tug-uninstall.sh"
