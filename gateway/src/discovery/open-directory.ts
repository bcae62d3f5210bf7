/** The instance directory the configuration asks for: every routed service (and auth) watched in Consul. */
import { ConfigError, consulClient, type Logger } from '@civildiy/kit'
import { type InstanceDirectory, watchInstances } from './instance-directory.ts'

/**
 * @throws ConfigError without CONSUL_HTTP_ADDR: the gateway finds every service through Consul.
 * @example const directory = openDirectory(config, table.services, logger)
 */
export function openDirectory(
  c: { CONSUL_HTTP_ADDR?: string; CONSUL_HTTP_TOKEN?: string; AUTH_SERVICE_NAME: string },
  services: readonly string[],
  logger: Logger,
): InstanceDirectory {
  if (!c.CONSUL_HTTP_ADDR) {
    throw new ConfigError([
      {
        variable: 'CONSUL_HTTP_ADDR',
        expected: 'the Consul agent address: the gateway finds every service through Consul',
        got: undefined,
      },
    ])
  }
  const consul = consulClient(c.CONSUL_HTTP_ADDR, c.CONSUL_HTTP_TOKEN)
  return watchInstances(consul, [...new Set([...services, c.AUTH_SERVICE_NAME])], logger)
}

/**
 * The base URL of a passing auth instance the directory knows: no Consul call per use.
 * @throws Error when none is passing.
 */
export function authFromDirectory(directory: InstanceDirectory, authService: string) {
  return async () => {
    const auth = directory.instances(authService)[0]
    if (!auth) throw new Error(`no passing instance of ${authService}`)
    return auth.url
  }
}

/** The JWKS URL of a passing auth instance the directory knows. */
export function jwksFromDirectory(directory: InstanceDirectory, authService: string) {
  const auth = authFromDirectory(directory, authService)
  return async () => `${await auth()}/.well-known/jwks.json`
}
