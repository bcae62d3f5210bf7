/**
 * What the doctor reports about where it runs: the container runtime, the DNS
 * configuration, the default route and its MTU, and the sysctls container
 * networking depends on. Linux only (reads /proc, /sys, /etc); elsewhere the
 * fields are null.
 */
import { existsSync, readFileSync } from 'node:fs'

export interface Environment {
  runtime: 'docker' | 'lxc' | 'podman' | 'kubernetes' | 'none'
  resolvConf: { nameservers: string[]; search: string[]; note?: string } | null
  defaultRoute: { interface: string; gateway: string; mtu: number | null } | null
  sysctls: Record<string, string | null>
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Docker, Podman, LXC, Kubernetes or none, from the usual markers. */
export function detectRuntime(): Environment['runtime'] {
  if (process.env.KUBERNETES_SERVICE_HOST) return 'kubernetes'
  if (existsSync('/run/.containerenv')) return 'podman'
  if (existsSync('/.dockerenv')) return 'docker'
  const container =
    read('/run/systemd/container')?.trim() ??
    read('/proc/1/environ')?.match(/container=([\w-]+)/)?.[1]
  if (container === 'lxc' || container === 'lxc-libvirt') return 'lxc'
  if (container === 'docker') return 'docker'
  if (container === 'podman') return 'podman'
  return 'none'
}

/** Parses resolv.conf: nameservers and search domains. */
export function parseResolvConf(text: string): { nameservers: string[]; search: string[] } {
  const nameservers: string[] = []
  const search: string[] = []
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/)
    if (key === 'nameserver' && rest[0]) nameservers.push(rest[0])
    if (key === 'search' || key === 'domain') search.push(...rest)
  }
  return { nameservers, search }
}

/** The default IPv4 route from /proc/net/route (little-endian hex gateway). */
export function parseDefaultRoute(text: string): { interface: string; gateway: string } | null {
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination, gateway] = line.trim().split(/\s+/)
    if (destination === '00000000' && iface && gateway) {
      const bytes = gateway
        .match(/../g)!
        .map((h) => Number.parseInt(h, 16))
        .reverse()
      return { interface: iface, gateway: bytes.join('.') }
    }
  }
  return null
}

export function describeEnvironment(): Environment {
  const resolv = read('/etc/resolv.conf')
  const parsed = resolv === null ? null : parseResolvConf(resolv)
  const route = read('/proc/net/route')
  const def = route === null ? null : parseDefaultRoute(route)
  const mtu = def ? Number(read(`/sys/class/net/${def.interface}/mtu`)?.trim()) || null : null
  const sysctl = (name: string) => read(`/proc/sys/${name.replaceAll('.', '/')}`)?.trim() ?? null
  return {
    runtime: detectRuntime(),
    resolvConf: parsed && {
      ...parsed,
      ...(parsed.nameservers.includes('127.0.0.11')
        ? {
            note: "Docker's embedded DNS (127.0.0.11): container names resolve only on user-defined networks",
          }
        : {}),
    },
    defaultRoute: def && { ...def, mtu },
    sysctls: {
      'net.ipv4.ip_forward': sysctl('net.ipv4.ip_forward'),
      'net.bridge.bridge-nf-call-iptables': sysctl('net.bridge.bridge-nf-call-iptables'),
      'net.ipv4.conf.all.rp_filter': sysctl('net.ipv4.conf.all.rp_filter'),
    },
  }
}
