/**
 * How a kit service is started under Deno: `deno run` with the narrowest
 * permissions the kit's code paths need. Kept beside the runtime adapter
 * (http-server.ts) because it is the kit that needs them:
 * - `--allow-net`: listening, Consul, upstreams, Upstash REST, the JWKS, OTLP
 *   (hosts come from configuration; a deployment can list them:
 *   `--allow-net=0.0.0.0:8080,consul:8500,...`);
 * - `--allow-env`: the configuration, and variables libraries read themselves
 *   (NODE_ENV, OTEL_*);
 * - `--allow-read=<repository>`: the routes file and the API docs assets (a
 *   routes file elsewhere is added to the list);
 * - `--allow-sys=hostname,networkInterfaces`: the host name in logs, and the
 *   address registered in Consul when ADVERTISE_ADDRESS is unset.
 * Nothing may write files, run programs or load native code.
 */
import { join } from 'node:path'

/**
 * `alsoRead`: files outside the repository the process reads (a routes file).
 * @example denoPermissions('/repo') // ['--allow-net', '--allow-env', '--allow-read=/repo', ...]
 */
export function denoPermissions(root: string, alsoRead: string[] = []): string[] {
  return [
    '--allow-net',
    '--allow-env',
    `--allow-read=${[root, ...alsoRead].join(',')}`,
    '--allow-sys=hostname,networkInterfaces',
  ]
}

/** The deno executable npm installs with the `deno` dev dependency. */
export function denoExecutable(root: string): string {
  return join(root, 'node_modules', '.bin', 'deno')
}

/**
 * The command that runs `entry` (a path) on Deno from the repository at `root`;
 * `alsoRead` as for denoPermissions.
 * @example Bun.spawn(denoRunCommand(root, join(root, 'gateway/src/main.ts')), { env })
 */
export function denoRunCommand(root: string, entry: string, alsoRead: string[] = []): string[] {
  return [denoExecutable(root), 'run', ...denoPermissions(root, alsoRead), entry]
}
