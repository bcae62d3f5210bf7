#!/usr/bin/env bash
# Checks, inside an LXC guest, what Docker and the CivilDIY stack need. Prints one
# line per check and exits 1 if any failed. Safe: creates and removes one test
# network and two containers when Docker is available.
#   ./verify-guest.sh
set -uo pipefail
failed=0
pass() { printf 'pass  %s\n' "$1"; }
fail() { printf 'FAIL  %s -- %s\n' "$1" "$2"; failed=1; }

# Nesting: a guest without it cannot create nested namespaces.
if unshare --user --map-root-user --net true 2>/dev/null || unshare --net true 2>/dev/null; then
  pass "nested namespaces (nesting)"
else
  fail "nested namespaces" "enable nesting=1 on the guest"
fi
# keyctl: runc gives each container a session keyring, and Proxmox blocks the
# keyctl syscall in unprivileged guests unless the guest has keyctl=1.
keyctl_works() {
  if command -v keyctl >/dev/null; then
    keyctl show @s >/dev/null 2>&1
    return
  fi
  # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create) by syscall number.
  local nr
  case "$(uname -m)" in
    x86_64) nr=250 ;;
    aarch64) nr=219 ;;
    *) return 2 ;;
  esac
  command -v python3 >/dev/null || return 2
  python3 -c "import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); sys.exit(0 if libc.syscall($nr, 0, -3, 1) >= 0 else 1)"
}
keyctl_works
case $? in
  0) pass "keyctl (session keyring)" ;;
  1) fail "keyctl" "the keyctl syscall is refused: pct set <vmid> --features nesting=1,keyctl=1, then restart the guest" ;;
  *) fail "keyctl" "cannot check here: install keyutils (apt-get install keyutils) and run again" ;;
esac
if grep -qw overlay /proc/filesystems; then pass "overlay filesystem"; else fail "overlay filesystem" "load the overlay module on the host (setup-host.sh)"; fi
if [ "$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)" = 1 ]; then pass "ip_forward"; else fail "ip_forward" "sysctl -w net.ipv4.ip_forward=1"; fi
ns=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf 2>/dev/null)
case "$ns" in
  "") fail "resolv.conf" "no nameserver configured" ;;
  127.0.0.53) fail "resolv.conf" "systemd-resolved stub (127.0.0.53) is unreachable from containers; use a real resolver" ;;
  *) pass "resolv.conf nameserver $ns" ;;
esac
iface=$(awk '$2 == "00000000" {print $1; exit}' /proc/net/route)
if [ -n "$iface" ]; then pass "default route via $iface, MTU $(cat /sys/class/net/"$iface"/mtu) (set NETWORK_MTU to this or lower)"; else fail "default route" "none"; fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  net=civildiy-verify-$$
  if docker network create "$net" >/dev/null &&
    docker run -d --rm --name "$net-a" --network "$net" busybox:1.37 sleep 30 >/dev/null &&
    docker run --rm --network "$net" busybox:1.37 ping -c1 -W2 "$net-a" >/dev/null; then
    pass "docker: containers resolve each other by name on a user-defined network"
  else
    fail "docker networking" "containers cannot run or resolve each other (nesting/keyctl, DNS)"
  fi
  docker rm -f "$net-a" >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
else
  fail "docker" "not installed or the daemon is not running"
fi
exit $failed
