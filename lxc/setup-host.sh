#!/usr/bin/env bash
# Prepares a Proxmox / LXC host for Docker-in-LXC guests: kernel modules (overlay,
# br_netfilter) now and at boot, forwarding sysctls now and at boot, and on
# Proxmox the guest features nesting and keyctl. Idempotent.
#   sudo ./setup-host.sh [--dry-run | --check] [--vmid N]
# --dry-run prints what would change; --check does the same and exits 1 when
# anything would (a verification of the host).
set -euo pipefail
dry=0
check=0
pending=0
vmid=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --check) dry=1; check=1 ;;
    --vmid) vmid="${2:?--vmid needs a number}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup-host: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
run() {
  pending=1
  if [ "$dry" = 1 ]; then echo "would run: $*"; else echo "+ $*"; "$@"; fi
}
write_line() { # file line: append the line unless present
  if ! grep -qxF "$2" "$1" 2>/dev/null; then
    pending=1
    if [ "$dry" = 1 ]; then echo "would add to $1: $2"; else echo "+ add to $1: $2"; echo "$2" >> "$1"; fi
  fi
}
[ "$dry" = 1 ] || [ "$(id -u)" = 0 ] || { echo "setup-host: run as root (or --dry-run)" >&2; exit 1; }

for mod in overlay br_netfilter; do
  if ! grep -q "^${mod} " /proc/modules 2>/dev/null; then run modprobe "$mod"; fi
  write_line /etc/modules-load.d/civildiy.conf "$mod"
done
for kv in net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1; do
  key=${kv%=*}
  want=${kv#*=}
  have=$(sysctl -n "$key" 2>/dev/null || echo missing)
  if [ "$have" != "$want" ]; then run sysctl -w "$kv"; fi
  write_line /etc/sysctl.d/90-civildiy.conf "$kv"
done
if [ -n "$vmid" ]; then
  if command -v pct >/dev/null; then
    features=$(pct config "$vmid" | sed -n 's/^features: //p')
    case "$features" in
      *nesting=1*keyctl=1*|*keyctl=1*nesting=1*) echo "guest $vmid already has nesting=1,keyctl=1" ;;
      *) run pct set "$vmid" --features nesting=1,keyctl=1; echo "restart guest $vmid for the features to apply" ;;
    esac
  else
    echo "setup-host: --vmid given but pct (Proxmox) is not installed; for plain LXC add" >&2
    echo "  lxc.include = /usr/share/lxc/config/nesting.conf to the container's config" >&2
  fi
fi
if [ "$check" = 1 ]; then
  if [ "$pending" = 1 ]; then echo "setup-host: the host needs the changes above"; exit 1; fi
  echo "setup-host: the host is ready"
elif [ "$dry" = 1 ]; then echo "setup-host: done (dry run: nothing changed)"; else echo "setup-host: done"; fi
