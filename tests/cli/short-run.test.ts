// The batch commands ask the process for a short run (V8 settings that
// compile less); the others leave V8 as it is. In-process, through run().
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.ts';
import { run } from '../../src/cli/program.ts';
import { SHORT_RUN_V8_FLAGS } from '../../src/cli/short-run.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';

async function runCounting(args: string[], env: Record<string, string>): Promise<{ code: number; shortRuns: number; stderr: string }> {
  let shortRuns = 0;
  let stderr = '';
  const io: Io = {
    stdout: () => undefined,
    stderr: (t) => (stderr += typeof t === 'string' ? t : Buffer.from(t).toString('utf8')),
    stderrIsTTY: false,
    env,
    clock: () => new Date(NOW),
    random: (bytes) => '0'.repeat(bytes * 2),
    stdin: new PassThrough(),
    onInterrupt: () => () => undefined,
    exitNow: (code) => {
      throw new Error(`exitNow(${code})`);
    },
    shortRun: () => void shortRuns++,
  };
  const code = await run(args, io);
  return { code, shortRuns, stderr };
}

describe('short runs', () => {
  it('build and check ask for one before their work; schedules does not', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'articles/a.txt': '# 标题\n\n本报讯(记者 张三)3月29日,会议举行。\n' });
    const env = {
      BROADSHEET_ARTICLES: path.join(dir, 'articles'),
      BROADSHEET_DATA: path.join(dir, 'data'),
      BROADSHEET_OUT: path.join(dir, 'public'),
      BROADSHEET_OUTBOX: path.join(dir, 'outbox'),
    };
    const check = await runCounting(['check', '--now', NOW], env);
    expect(check).toMatchObject({ code: 0, shortRuns: 1 });
    const build = await runCounting(['build', '--now', NOW], env);
    expect(build).toMatchObject({ code: 0, shortRuns: 1 });
    const schedules = await runCounting(['schedules'], env);
    expect(schedules.stderr).toBe('');
    expect(schedules).toMatchObject({ code: 0, shortRuns: 0 });
  });

  it('asks V8 for flags this Node knows (V8 ignores an unknown flag set at run time; the command line refuses it)', () => {
    const r = spawnSync(process.execPath, [...SHORT_RUN_V8_FLAGS.split(' '), '-e', '0'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bad = spawnSync(process.execPath, ['--max-inlined-bytecode-sise=60', '-e', '0'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});
