// Start-up: `broadsheet --help` as a whole command, next to `node -e 0`
// (the floor any Node CLI starts from). Alternated, median of `runs`.
import { type Row, broadsheet, expectExit, row, say, side, timed } from './lib.ts';

export function benchStartup(runs = 10): Row[] {
  say(`startup: ${runs} × (broadsheet --help, node -e 0)`);
  const help = [], bare = [];
  for (let i = 0; i < runs; i++) {
    help.push(expectExit(timed(broadsheet('--help')), 'broadsheet --help'));
    bare.push(expectExit(timed([process.execPath, '-e', '0']), 'node -e 0'));
  }
  return [row('start-up: `broadsheet --help`', side('broadsheet --help', help), side('node -e 0', bare), `median of ${runs}; the peer is the floor, not a rival`)];
}
