/**
 * How the gateway calls upstreams that registered `meta.scheme = https`: their
 * certificates verified against TLS_CA_FILE (the private CA; without it, the
 * system's CAs, which a private CA's certificates fail), and the gateway's client
 * certificate (TLS_CLIENT_CERT_FILE/KEY, else TLS_CERT_FILE/KEY) presented to services
 * that require one (TLS_CLIENT_AUTH=require). The files are read again when they
 * change, so a renewed certificate needs no restart.
 */
import {
  clientTlsFiles,
  readClientTls,
  type TlsFetchInit,
  tlsFetchInit,
  watchFiles,
} from '@civildiy/kit'

/** What the gateway adds to an upstream `fetch` over HTTPS (see the kit's `tlsFetchInit`). */
export type UpstreamTls = TlsFetchInit

/**
 * @returns the current options, and the function that stops watching the files.
 * @throws when a named file cannot be read (a configuration error at start).
 * @example const tls = upstreamTls({ TLS_CA_FILE: '/run/tls/ca.pem', TLS_RELOAD_INTERVAL_MS: 5000 }); fetch(url, { ...tls.current() })
 */
export function upstreamTls(c: {
  TLS_CA_FILE?: string
  TLS_CERT_FILE?: string
  TLS_KEY_FILE?: string
  TLS_CLIENT_CERT_FILE?: string
  TLS_CLIENT_KEY_FILE?: string
  TLS_RELOAD_INTERVAL_MS: number
}): { current(): UpstreamTls; close(): void } {
  const files = clientTlsFiles(c)
  const read = (): UpstreamTls => tlsFetchInit(readClientTls(files) ?? {})
  let options = read()
  const close = watchFiles(
    [files.caFile, files.certFile, files.keyFile],
    c.TLS_RELOAD_INTERVAL_MS,
    () => {
      // A half-written file keeps the options that worked.
      try {
        options = read()
      } catch {}
    },
  )
  return { current: () => options, close }
}
