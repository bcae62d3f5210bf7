/**
 * `harness status` and `harness stop|start|restart|kill NAME`: act on one process
 * of the stack `harness up` runs, through its control socket (from
 * `.data/stack.json`). `kill` sends SIGKILL (or `--signal NAME`) as a crash
 * would, so the supervisor restarts the process; `stop` keeps it down until `start`.
 */
import { parseArgs } from 'node:util'
import { markdownTable } from '../report/stats.ts'
import { readStackFile } from '../stack-file.ts'
import { controlClient } from './control.ts'

const USAGE = `Usage: harness status
       harness stop|start|restart NAME
       harness kill NAME [--signal SIGKILL]

NAME is a process of the running stack: auth, profile, posts, feed, gateway, and
the embedded kafka, mongo and consul (see \`harness status\`).`

/** Exit code: 0 done, 1 failed, 2 usage. */
export async function processCommand(command: string, argv: string[]): Promise<number> {
  let values: { signal?: string; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: { signal: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }))
  } catch (err) {
    console.error(`harness ${command}: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const name = positionals[0]
  if (command !== 'status' && !name) {
    console.error(`harness ${command}: which process?\n\n${USAGE}`)
    return 2
  }
  const stack = await readStackFile()
  if (!stack?.control) {
    console.error(
      `harness ${command}: no running stack found (.data/stack.json); start one with npm start`,
    )
    return 1
  }
  const control = controlClient(stack.control)
  try {
    if (command === 'kill') {
      await control.kill(name!, (values.signal ?? 'SIGKILL') as NodeJS.Signals)
      console.log(`harness: sent ${values.signal ?? 'SIGKILL'} to ${name}`)
    } else if (command !== 'status') {
      const s = await control.act(name!, command as 'stop' | 'start' | 'restart')
      console.log(`harness: ${name} is ${s.state}${s.pid ? ` (pid ${s.pid})` : ''}`)
    }
    console.log(
      markdownTable(
        ['process', 'kind', 'state', 'pid', 'url', 'restarts', 'last exit'],
        (await control.status()).map((s) => [
          s.name,
          s.kind,
          s.state,
          String(s.pid ?? '-'),
          s.url,
          String(s.restarts),
          s.lastExit ?? '-',
        ]),
      ),
    )
    return 0
  } catch (err) {
    console.error(`harness ${command}: ${(err as Error).message}`)
    return 1
  }
}
