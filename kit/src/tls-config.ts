/**
 * TLS settings every service reads (the TLS_* variables of BaseConfig), checked. With
 * TLS_CERT_FILE and TLS_KEY_FILE a service serves HTTPS; with TLS_CLIENT_AUTH=require
 * it also refuses, at the handshake, a client without a certificate from
 * TLS_CA_FILE (mutual TLS). The gateway verifies upstreams against TLS_CA_FILE and
 * presents its own certificate to them. Files are PEM; a changed certificate or
 * key is picked up without a restart (see http-server.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError, type ConfigProblem } from './config.ts'

/** What a service listens and calls with, once checked: absent files mean plain HTTP. */
export interface TlsSettings {
  certFile: string
  keyFile: string
  caFile?: string
  requireClientCert: boolean
  reloadIntervalMs: number
}

/**
 * The TLS settings of a loaded config, or undefined for plain HTTP.
 * @throws ConfigError when only one of the certificate and key is set, a file does
 *   not exist, or client certificates are required without a CA.
 * @example tlsSettings(config) // { certFile: '/run/tls/auth.pem', keyFile: ..., requireClientCert: false, ... }
 */
export function tlsSettings(c: {
  TLS_CERT_FILE?: string
  TLS_KEY_FILE?: string
  TLS_CA_FILE?: string
  TLS_CLIENT_CERT_FILE?: string
  TLS_CLIENT_KEY_FILE?: string
  TLS_CLIENT_AUTH: 'none' | 'require'
  TLS_RELOAD_INTERVAL_MS: number
}): TlsSettings | undefined {
  const problems: ConfigProblem[] = []
  for (const [variable, file] of [
    ['TLS_CERT_FILE', c.TLS_CERT_FILE],
    ['TLS_KEY_FILE', c.TLS_KEY_FILE],
    ['TLS_CA_FILE', c.TLS_CA_FILE],
    ['TLS_CLIENT_CERT_FILE', c.TLS_CLIENT_CERT_FILE],
    ['TLS_CLIENT_KEY_FILE', c.TLS_CLIENT_KEY_FILE],
  ] as const)
    if (file && !existsSync(file))
      problems.push({ variable, expected: 'an existing PEM file', got: file })
  if (Boolean(c.TLS_CERT_FILE) !== Boolean(c.TLS_KEY_FILE))
    problems.push({
      variable: c.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE',
      expected: 'set together with the other: a certificate and its key',
      got: undefined,
    })
  if (Boolean(c.TLS_CLIENT_CERT_FILE) !== Boolean(c.TLS_CLIENT_KEY_FILE))
    problems.push({
      variable: c.TLS_CLIENT_CERT_FILE ? 'TLS_CLIENT_KEY_FILE' : 'TLS_CLIENT_CERT_FILE',
      expected: 'set together with the other: a client certificate and its key',
      got: undefined,
    })
  if (c.TLS_CLIENT_AUTH === 'require' && !c.TLS_CA_FILE)
    problems.push({
      variable: 'TLS_CA_FILE',
      expected: 'the CA that signs client certificates (TLS_CLIENT_AUTH=require)',
      got: undefined,
    })
  if (c.TLS_CLIENT_AUTH === 'require' && !c.TLS_CERT_FILE)
    problems.push({
      variable: 'TLS_CERT_FILE',
      expected: 'a certificate to serve with (TLS_CLIENT_AUTH=require needs HTTPS)',
      got: undefined,
    })
  if (problems.length) throw new ConfigError(problems)
  if (!c.TLS_CERT_FILE || !c.TLS_KEY_FILE) return undefined
  return {
    certFile: c.TLS_CERT_FILE,
    keyFile: c.TLS_KEY_FILE,
    caFile: c.TLS_CA_FILE,
    requireClientCert: c.TLS_CLIENT_AUTH === 'require',
    reloadIntervalMs: c.TLS_RELOAD_INTERVAL_MS,
  }
}

/** The PEM files a process uses when it calls other services over HTTPS. */
export interface ClientTlsFiles {
  /** The CA that signs the services (verifies them). */
  caFile?: string
  /** The certificate presented to services that require one, and its key. */
  certFile?: string
  keyFile?: string
}

/**
 * The outbound side of the TLS settings: TLS_CA_FILE to verify services, and
 * TLS_CLIENT_CERT_FILE/KEY (else the serving TLS_CERT_FILE/KEY) as this process's
 * client certificate. A gateway serving the public on plain HTTP (or a public
 * certificate) sets only the client pair and the CA.
 * @example clientTlsFiles(config) // { caFile: '/run/tls/ca.pem', certFile: '/run/tls/gateway.pem', keyFile: '/run/tls/gateway.key' }
 */
export function clientTlsFiles(c: {
  TLS_CA_FILE?: string
  TLS_CERT_FILE?: string
  TLS_KEY_FILE?: string
  TLS_CLIENT_CERT_FILE?: string
  TLS_CLIENT_KEY_FILE?: string
}): ClientTlsFiles {
  const pair = c.TLS_CLIENT_CERT_FILE
    ? { certFile: c.TLS_CLIENT_CERT_FILE, keyFile: c.TLS_CLIENT_KEY_FILE }
    : c.TLS_CERT_FILE
      ? { certFile: c.TLS_CERT_FILE, keyFile: c.TLS_KEY_FILE }
      : {}
  return { ...(c.TLS_CA_FILE ? { caFile: c.TLS_CA_FILE } : {}), ...pair }
}

/**
 * Reads the files of {@link clientTlsFiles} now, as Bun's `fetch` takes them (`tls`
 * option); undefined when none is set. Read on each call, so a renewed file is used
 * at once.
 * @throws when a named file cannot be read.
 */
export function readClientTls(
  files: ClientTlsFiles,
): { ca?: string; cert?: string; key?: string } | undefined {
  if (!files.caFile && !files.certFile) return undefined
  return {
    ...(files.caFile ? { ca: readFileSync(files.caFile, 'utf8') } : {}),
    ...(files.certFile && files.keyFile
      ? { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') }
      : {}),
  }
}

/**
 * What a `fetch` over HTTPS needs for these PEM texts on the runtime running it:
 * Bun's `tls` option, or on Deno a `client` from `Deno.createHttpClient` (Deno's
 * fetch has no per-request TLS option).
 */
export type TlsFetchInit =
  | { tls: { ca?: string; cert?: string; key?: string } }
  | { client: unknown }

/** The part of Deno's API used here (Deno 2), typed for a Bun-typed build. */
interface DenoHttpClients {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): unknown
}

/**
 * @example fetch(url, { ...tlsFetchInit({ ca, cert, key }) })
 */
export function tlsFetchInit(pem: { ca?: string; cert?: string; key?: string }): TlsFetchInit {
  const deno = (globalThis as { Deno?: DenoHttpClients }).Deno
  if (!deno || 'Bun' in globalThis) return { tls: pem }
  return {
    client: deno.createHttpClient({
      ...(pem.ca ? { caCerts: [pem.ca] } : {}),
      ...(pem.cert && pem.key ? { cert: pem.cert, key: pem.key } : {}),
    }),
  }
}
