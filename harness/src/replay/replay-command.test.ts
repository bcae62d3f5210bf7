/** Which graph `harness replay` replays when no --graph is given. */
import { expect, spyOn, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chooseGraph } from './replay-command.ts'

test('without data sets in the default folder the synthetic graph is used, with where to get the real ones', () => {
  const empty = mkdtempSync(join(tmpdir(), 'no-data-'))
  const log = spyOn(console, 'log').mockImplementation(() => {})
  const error = spyOn(console, 'error').mockImplementation(() => {})
  try {
    expect(chooseGraph(undefined, false, empty)).toBe('synthetic')
    expect(String(log.mock.calls[0]?.[0])).toContain(
      'https://snap.stanford.edu/data/soc-Epinions1.txt.gz',
    )
    // A folder the user named is taken at its word: loading it reports what is missing.
    expect(chooseGraph(undefined, true, empty)).toBe('epinions')
    expect(chooseGraph('facebook', false, empty)).toBe('facebook')
    expect(chooseGraph('twitter', false, empty)).toBeUndefined()
    expect(String(error.mock.calls[0]?.[0])).toContain('--graph is epinions, facebook or synthetic')
  } finally {
    log.mockRestore()
    error.mockRestore()
    rmSync(empty, { recursive: true, force: true })
  }
})
