/**
 * Flag parsing shared by the harness commands (check, replay, doctor): node's
 * `parseArgs`, one way to report a bad flag (the message and the usage, exit 2),
 * `--help`, and positive-number flags checked the same way everywhere.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'

export type CommandFlags = Record<string, string | boolean | undefined>

/**
 * Parses `argv` against `options` (plus `--help`/`-h`). Returns the flags, or the
 * exit code when the command should stop here: 2 after printing a bad flag's error
 * with the usage, 0 after printing the usage for `--help`.
 * @example
 * const flags = parseCommandFlags('check', argv, { posts: { type: 'string' } }, USAGE)
 * if (typeof flags === 'number') return flags
 */
export function parseCommandFlags(
  command: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  usage: string,
): CommandFlags | number {
  let values: CommandFlags
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }).values as CommandFlags
  } catch (err) {
    console.error(`harness ${command}: ${(err as Error).message}\n\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  return values
}

/**
 * The flag `--<key>` as a positive number, or `dflt` when it was not given.
 * @throws Error naming the flag when the value is not a positive number.
 * @example const posts = positiveNumber(flags, 'posts', 20)
 */
export function positiveNumber(flags: CommandFlags, key: string, dflt: number): number {
  const raw = flags[key]
  if (raw === undefined) return dflt
  const n = Number(raw)
  if (typeof raw !== 'string' || !Number.isFinite(n) || n <= 0)
    throw new Error(`--${key} expects a positive number, got "${raw}"`)
  return n
}
