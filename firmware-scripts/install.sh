#!/bin/sh
# Installs tug on a 64-bit Linux board or server, the way K3s users expect:
#
#   sh install.sh                                         # a server: tug-server.service
#   sh install.sh --server https://SERVER:6443 --token TUG10...   # an agent: tug-agent.service
#   curl -sfL https://.../install.sh | TUG_SERVER=https://... TUG_TOKEN=... sh -
#
# flags (or the environment variable in brackets):
#   --server URL        join this server as an agent [TUG_SERVER]; without it, install a server
#   --token T           the join token from 'tug token create' [TUG_TOKEN]
#   --token-file F      read the token from a file [TUG_TOKEN_FILE]
#   --node-name N       this node's name (default: the hostname) [TUG_NODE_NAME]
#   --agent             install the agent unit even without --server (the env file comes later)
#   --binary FILE       the tug binary (default: dist/tug-linux-ARCH beside this script) [TUG_BINARY]
#   --root DIR          install under DIR; no packages, no systemctl (images, tests) [TUG_ROOT]
#   --skip-deps         do not install containerd, CNI plugins, nftables, ipvsadm
#   --skip-start        write everything, start nothing
#
# Running it again with the same inputs changes nothing and restarts nothing.
set -eu

die() { echo "tug install: $*" >&2; exit 1; }
say() { echo "tug install: $*"; }

SERVER=${TUG_SERVER:-}; TOKEN=${TUG_TOKEN:-}; TOKEN_FILE=${TUG_TOKEN_FILE:-}; NODE_NAME=${TUG_NODE_NAME:-}
BINARY=${TUG_BINARY:-}; ROOT=${TUG_ROOT:-}; AGENT=0; SKIP_DEPS=0; SKIP_START=0
while [ $# -gt 0 ]; do
  case "$1" in
    --server) [ $# -ge 2 ] || die "--server needs a value"; SERVER=$2; shift 2 ;;
    --token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN=$2; shift 2 ;;
    --token-file) [ $# -ge 2 ] || die "--token-file needs a value"; TOKEN_FILE=$2; shift 2 ;;
    --node-name) [ $# -ge 2 ] || die "--node-name needs a value"; NODE_NAME=$2; shift 2 ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a value"; BINARY=$2; shift 2 ;;
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT=$2; shift 2 ;;
    --agent) AGENT=1; shift ;;
    --skip-deps) SKIP_DEPS=1; shift ;;
    --skip-start) SKIP_START=1; shift ;;
    -h|--help)
      if [ -f "$0" ]; then sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; else echo "usage: install.sh [--server URL (--token T | --token-file F)] [--node-name N] [--binary FILE] [--root DIR]"; fi
      exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
done

# --- what this machine is: Bun (and so tug) runs on 64-bit x86 and ARM only ---
case "$(uname -m)" in
  x86_64|amd64) ARCH=x64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  armv6l|armv7l|armv8l|armhf|arm)
    die "this is a 32-bit ARM system ($(uname -m)): Bun, and so tug, does not run on 32-bit ARM. Install a 64-bit OS (Raspberry Pi OS 64-bit on a Pi 3, 4, 5 or Zero 2 W)" ;;
  *) die "unsupported CPU $(uname -m): tug runs on x86_64 and aarch64" ;;
esac

# --- inputs, checked before anything is written ---
if [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || die "--token-file: cannot read $TOKEN_FILE"
  TOKEN=$(tr -d '\r\n' < "$TOKEN_FILE")
fi
if [ -n "$SERVER" ]; then
  case "$SERVER" in https://?*) ;; *) die "--server must be an https:// URL, not \"$SERVER\"" ;; esac
  [ -n "$TOKEN" ] || die "joining $SERVER needs a token: --token T or --token-file F (from 'tug token create')"
  AGENT=1
fi
printf '%s' "$TOKEN" | grep -q "[[:space:]'\"\\\\]" && die "the token has spaces, quotes or backslashes: copy it again from 'tug token create'"
[ -z "$NODE_NAME" ] || printf '%s' "$NODE_NAME" | grep -Eq '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' || die "--node-name must be lowercase letters, digits and '-' (at most 63), not \"$NODE_NAME\""
if [ -z "$BINARY" ]; then
  HERE=$(cd "$(dirname "$0")" 2>/dev/null && pwd || echo .)
  BINARY=$HERE/../dist/tug-linux-$ARCH
fi
[ -f "$BINARY" ] || die "no tug binary at $BINARY: build it with 'npm run build' or pass --binary FILE"
[ -z "$ROOT" ] || [ -d "$ROOT" ] || die "--root: $ROOT is not a directory"
ROOT=${ROOT%/}
[ "$AGENT" = 1 ] && KIND=agent || KIND=server
UNIT=tug-$KIND
UNIT_FILE=$ROOT/etc/systemd/system/$UNIT.service
ENV_FILE=$UNIT_FILE.env
MANIFEST_DIR=$ROOT/var/lib/tug-install

# --- packages: containerd, the CNI plugins, nftables and ipvsadm from the distribution ---
install_deps() {
  need=""
  command -v containerd >/dev/null 2>&1 || need="$need containerd runc"
  [ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || need="$need containernetworking-plugins"
  command -v nft >/dev/null 2>&1 || need="$need nftables"
  command -v ipvsadm >/dev/null 2>&1 || need="$need ipvsadm"
  [ -n "$need" ] || return 0
  command -v apt-get >/dev/null 2>&1 || die "missing$need and no apt-get here: install them with your package manager, or pass --skip-deps"
  say "installing$need"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null; } ||
    die "apt-get install$need failed"
  # Remember what we added, so uninstall.sh removes only that.
  mkdir -p "$MANIFEST_DIR"
  for p in $need; do grep -qx "$p" "$MANIFEST_DIR/packages" 2>/dev/null || echo "$p" >> "$MANIFEST_DIR/packages"; done
}
if [ -n "$ROOT" ]; then
  say "installing under $ROOT: no packages, no systemctl"
elif [ "$SKIP_DEPS" = 0 ]; then
  install_deps
fi

# --- the memory cgroup: without it pods get no memory limits ---
CONTROLLERS=$ROOT/sys/fs/cgroup/cgroup.controllers
if [ -r "$CONTROLLERS" ] && ! grep -qw memory "$CONTROLLERS"; then
  CMDLINE=/boot/firmware/cmdline.txt
  [ -f "$ROOT$CMDLINE" ] || [ ! -f "$ROOT/boot/cmdline.txt" ] || CMDLINE=/boot/cmdline.txt
  echo "tug install: warning: the memory cgroup controller is off ($CONTROLLERS has no 'memory'): pods cannot get memory limits." >&2
  echo "tug install: on a Raspberry Pi, add 'cgroup_memory=1 cgroup_enable=memory' to the end of the single line in $CMDLINE, then reboot." >&2
fi

# --- files; each replaced only when its content changes ---
CHANGED=0
# put SRC DEST MODE: installs SRC as DEST with MODE unless DEST already has the same bytes and mode.
put() {
  if [ -f "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = "$3" ]; then return 0; fi
  mkdir -p "$(dirname "$2")"
  # Created private, then opened up to MODE: a token never sits in a readable file.
  (umask 077 && cp "$1" "$2.tug-new") && chmod "$3" "$2.tug-new" && mv -f "$2.tug-new" "$2"
  CHANGED=1
}
umask 022
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

put "$BINARY" "$ROOT/usr/local/bin/tug" 755
HERE=$(cd "$(dirname "$0")" 2>/dev/null && pwd || echo .)
[ ! -f "$HERE/uninstall.sh" ] || put "$HERE/uninstall.sh" "$ROOT/usr/local/bin/tug-uninstall.sh" 755

if [ "$KIND" = server ]; then
  EXEC='/usr/local/bin/tug server'
  DESC='tug server (API, store, controllers and this machine'"'"'s agent)'
  CONDITION=''
else
  # First start joins with the bootstrap token; later starts use the stored credential
  # (the token may have expired by then). $$ is a literal $ for the shell.
  EXEC='/bin/sh -c '"'"'[ -s /var/lib/tug/agent/credentials.json ] && exec /usr/local/bin/tug agent; exec /usr/local/bin/tug join "$$TUG_SERVER" --token "$$TUG_TOKEN" $${TUG_NODE_NAME:+--node-name "$$TUG_NODE_NAME"}'"'"
  DESC='tug agent (this board'"'"'s node agent)'
  # An image may carry the unit before its join settings arrive.
  CONDITION="ConditionPathExists=/etc/systemd/system/$UNIT.service.env"
fi
cat > "$TMP/unit" <<EOF
[Unit]
Description=$DESC
Wants=network-online.target
After=network-online.target containerd.service
$CONDITION

[Install]
WantedBy=multi-user.target

[Service]
Type=simple
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-/etc/systemd/system/$UNIT.service.env
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStartPre=-/sbin/modprobe ip_vs
ExecStart=$EXEC
EOF
put "$TMP/unit" "$UNIT_FILE" 644

if [ -n "$SERVER" ]; then
  { echo "TUG_SERVER=$SERVER"; echo "TUG_TOKEN=$TOKEN"; [ -z "$NODE_NAME" ] || echo "TUG_NODE_NAME=$NODE_NAME"; } > "$TMP/env"
  put "$TMP/env" "$ENV_FILE" 600
fi

# --- systemd: enable, and (re)start only when something changed ---
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
  ln -sfn "/etc/systemd/system/$UNIT.service" "$ROOT/etc/systemd/system/multi-user.target.wants/$UNIT.service"
elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable "$UNIT" >/dev/null 2>&1
  if [ "$SKIP_START" = 0 ]; then
    if [ "$CHANGED" = 1 ]; then systemctl restart "$UNIT"; else systemctl start "$UNIT"; fi
  fi
else
  say "no systemd here: start it yourself with $EXEC"
fi
if [ "$CHANGED" = 1 ]; then say "installed $UNIT ($ARCH)"; else say "$UNIT already up to date"; fi
