#!/usr/bin/env bun
/**
 * The `harness` command:
 *   harness up [--runtime deno] the whole stack on this machine (what `npm start` runs)
 *   harness check  [options]   discovery, auth, event propagation and feed latency checks
 *   harness replay [options]   the real-input workload (SNAP graph, SMS texts)
 *   harness doctor [options]   network diagnostics for a deployed stack
 *   harness backup|restore     the running stack's stores, to and from a directory
 *   harness restore-drill      back up, destroy, restore, and check nothing is missing
 *   harness status             the processes of the running stack
 *   harness stop|start|restart|kill NAME   act on one of them
 * `harness <command> --help` lists a command's options.
 */
export {}

const [command, ...rest] = process.argv.slice(2)
const USAGE = `Usage: harness <up|check|replay|doctor|drill|backup|restore|restore-drill|status|stop|start|restart|kill> [options]

  up       start devstack, auth, profile, posts, feed and the gateway; Ctrl-C stops them
           (--runtime deno: the gateway, and with REDIS_URL a feed read API, on Deno)
  check    check a running stack end to end (defaults from .data/stack.json)
  replay   drive a running stack with the real social graph and texts in ../shared/data
  doctor   diagnose DNS, reachability, Kafka listeners, MTU and clock skew
  drill    inject faults into the running stack and measure what they cost
  backup   back up the running stack's stores (--out DIR); restore --from DIR puts one back
  restore-drill  back up, destroy every store, restore, and check nothing is missing
  status   the processes of the running stack: state, pid, restarts
  stop|start|restart NAME   one process of the running stack (kill NAME: as a crash)

Run \`harness <command> --help\` for its options.`

switch (command) {
  case 'up': {
    const { up, upArguments } = await import('./up/up.ts')
    const env = upArguments(rest)
    process.exit(typeof env === 'number' ? env : await up(env))
    break
  }
  case 'check': {
    const { checkCommand } = await import('./check/check-command.ts')
    process.exit(await checkCommand(rest))
    break
  }
  case 'replay': {
    const { replayCommand } = await import('./replay/replay-command.ts')
    process.exit(await replayCommand(rest))
    break
  }
  case 'doctor': {
    const { doctorCommand } = await import('./doctor/doctor-command.ts')
    process.exit(await doctorCommand(rest))
    break
  }
  case 'status':
  case 'stop':
  case 'start':
  case 'restart':
  case 'kill': {
    const { processCommand } = await import('./up/process-command.ts')
    process.exit(await processCommand(command, rest))
    break
  }
  case 'backup':
  case 'restore':
  case 'restore-drill': {
    const { backupCommand } = await import('./backup/backup-command.ts')
    process.exit(await backupCommand(command, rest))
    break
  }
  case 'drill': {
    const { drillCommand } = await import('./drill/drill-command.ts')
    process.exit(await drillCommand(rest))
    break
  }
  case undefined:
  case '-h':
  case '--help':
    console.log(USAGE)
    process.exit(command ? 0 : 2)
    break
  default:
    console.error(`harness: unknown command "${command}"\n\n${USAGE}`)
    process.exit(2)
}
