/**
 * The container healthcheck: `<service binary> health-probe` asks the service on
 * this host for `/health/ready` the way it serves, over HTTPS with the private CA
 * and its own certificate as the client certificate when TLS is on (mutual TLS
 * refuses a probe without one), plain HTTP otherwise. Exit 0 when ready, 1 when
 * not or unreachable within 2 s.
 */
import { readClientTls } from './tls-config.ts'

/**
 * @param env the service's environment (PORT, TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE,
 *   TLS_CLIENT_CERT_FILE, TLS_CLIENT_KEY_FILE).
 * @returns the exit code; never throws.
 * @example process.exit(await probeHealth(process.env))
 */
export async function probeHealth(env: Record<string, string | undefined>): Promise<number> {
  const https = Boolean(env.TLS_CERT_FILE)
  try {
    const tls = https
      ? readClientTls({
          caFile: env.TLS_CA_FILE,
          certFile: env.TLS_CLIENT_CERT_FILE ?? env.TLS_CERT_FILE,
          keyFile: env.TLS_CLIENT_KEY_FILE ?? env.TLS_KEY_FILE,
        })
      : undefined
    const res = await fetch(
      `${https ? 'https' : 'http'}://127.0.0.1:${env.PORT ?? '3000'}/health/ready`,
      { signal: AbortSignal.timeout(2_000), ...(tls ? { tls } : {}) },
    )
    return res.ok ? 0 : 1
  } catch {
    return 1
  }
}
