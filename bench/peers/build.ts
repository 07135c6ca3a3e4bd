// Whole-command builds of the fixed corpus, against Hugo building the same
// articles (converted once by hugo_peer.sh). Each round runs, alternating
// which goes first: Hugo into a new folder; broadsheet cold (no store, no
// cache, new output folder); broadsheet with the parse cache and store warm
// but every source given a new mtime in place (as after a checkout: every
// file is read and hashed again; the bytes are the same, so the parse cache
// serves every parse and none is parsed) and a new output folder; a rebuild
// with nothing changed; a rebuild after one source changed.
// The warm run keeps the sources' path: the parse cache is keyed by it, so
// sources at another path are parsed again.
// The sources are touched, not removed and copied again, and no round's
// folder is removed before every round has run: on an ext4 mounted with
// `discard` (a virtual disk here), deleting a large tree makes the file
// creations of the next several seconds very slow in kernel time (10,000
// small files: 8-11 s of system time instead of 0.3-0.7 s), which the next
// timed command, either tool's, would pay.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CACHE, type Row, type Run, SHARED, broadsheet, copyDir, corpus, expectExit, freshDir, installed, isolatedEnv, remove, row, say, side, timed,
} from './lib.ts';

/** Fixed, so the same corpus always gives the same dates and bytes. */
const NOW = '2026-04-01T08:00:00+08:00';

/** The Hugo site for `articles`, set up once by hugo_peer.sh and kept in bench/.cache/. */
function hugoSite(articles: string): string {
  const work = path.join(CACHE, `hugo-${path.basename(articles)}`);
  const ready = path.join(work, '.ready');
  if (!existsSync(ready)) {
    say(`build: converting ${articles} to a Hugo site in ${work} (once) …`);
    expectExit(timed([path.join(SHARED, 'hugo_peer.sh'), articles, work]), 'hugo_peer.sh');
    writeFileSync(ready, `${articles}\n`);
  }
  return path.join(work, 'site');
}

/**
 * Gives every file under `dir` a new modification time, in place, as a
 * checkout would: the moment of the call (or 1 ms after the file's own mtime,
 * should that be later). The parse cache tells a changed source by its size
 * and mtime only, so each is read and hashed again; no block is freed or
 * allocated. Not a moment in the future: a source whose mtime is not safely
 * before a build's reading is "racily clean" to it (src/publish/stamp.ts
 * racy(), src/corpus/corpus.ts RACY_MS), so the warm build would leave no
 * stamp and the rebuild with nothing changed would be a real build.
 */
function touchAll(dir: string, now = Date.now()): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      touchAll(file, now);
    } else if (entry.isFile()) {
      const before = statSync(file).mtimeMs;
      const at = Math.max(now, Math.floor(before) + 1) / 1000;
      utimesSync(file, at, at);
      if (statSync(file).mtimeMs === before) throw new Error(`${file}: the mtime did not change`);
    }
  }
}

/** Files the disk probe creates. */
const PROBE_FILES = 2000;

/**
 * What creating a file costs the disk right now, in microseconds: the
 * median of creating PROBE_FILES empty files in one new folder. About 10-20
 * on a quiet disk here; in one of its slow spells (see above), ten times
 * that and more, for every tool's build alike. Printed with the rows, so a
 * ratio can be read with the state of the disk it was measured in.
 */
function diskProbe(dir: string): number {
  const probe = path.join(dir, '.disk-probe');
  mkdirSync(probe);
  const costs: number[] = [];
  for (let i = 0; i < PROBE_FILES; i++) {
    const start = process.hrtime.bigint();
    closeSync(openSync(path.join(probe, `f${i}`), 'w'));
    costs.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  // The files stay, and go with the round's folder: deleting them here could start the very slow spell the probe is there to detect.
  costs.sort((a, b) => a - b);
  return costs[Math.floor(costs.length / 2)]!;
}

/**
 * `removeLater`: what to do with the rounds' folders instead of removing
 * them at once (bench/run.ts removes them after its in-process parts, which
 * would otherwise be measured in the slow spell their removal starts).
 */
export function benchBuild(sources = 10_000, runs = 3, removeLater?: (dir: string) => void): Row[] {
  const articles = corpus(sources);
  const site = installed('hugo') ? hugoSite(articles) : null;
  if (!site) console.log('hugo not installed: skipped');
  const first = readdirSync(articles).filter((f) => f.endsWith('.txt')).sort()[0]!;
  const build = (dir: string, out: string) =>
    timed(broadsheet('build', '--now', NOW), {
      cwd: dir,
      env: isolatedEnv(dir, { BROADSHEET_ARTICLES: path.join(dir, 'articles'), BROADSHEET_OUT: path.join(dir, out) }),
    });
  const hugo: Run[] = [], cold: Run[] = [], warm: Run[] = [], same: Run[] = [], one: Run[] = [];
  const disk: number[] = [];
  // What each kind of build reported in the first round (sources parsed, pages written).
  let said: string[] = [];

  // Every round's folder is kept until all rounds have run (see the top of the file).
  const dirs: string[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      say(`build: round ${i + 1} of ${runs}`);
      const dir = freshDir('build');
      dirs.push(dir);
      copyDir(articles, path.join(dir, 'articles'));
      disk.push(diskProbe(dir));
      const runHugo = () => site && hugo.push(expectExit(timed(['hugo', '--quiet', '-s', site, '-d', path.join(dir, 'hugo-public')]), 'hugo'));
      if (i % 2 === 0) runHugo();
      cold.push(expectExit(build(dir, 'public'), 'broadsheet build (cold)'));
      if (i % 2 === 1) runHugo();

      touchAll(path.join(dir, 'articles'));
      warm.push(expectExit(build(dir, 'public-warm'), 'broadsheet build (parse cache warm)'));

      same.push(expectExit(build(dir, 'public-warm'), 'broadsheet build (nothing changed)'));
      appendFileSync(path.join(dir, 'articles', first), '\n\n记者当天还走访了多家企业，了解项目推进情况。\n');
      one.push(expectExit(build(dir, 'public-warm'), 'broadsheet build (one source changed)'));
      if (i === 0) said = [cold, warm, same, one].map((runs) => runs[0]!.stdout.trim().split('\n').join('; ').replaceAll(`${dir}/`, ''));
    }
  } finally {
    for (const dir of dirs) (removeLater ?? remove)(dir);
  }

  const peer = site ? side('hugo', hugo) : undefined;
  const label = `${sources.toLocaleString('en')} sources`;
  const diskNote = `disk: creating a file took ${disk.map((us) => us.toFixed(0)).join(', ')} µs in the rounds (quiet: 10-20). `;
  return [
    row(`build ${label}: cold (no store, no cache, new output)`, side('broadsheet build', cold), peer, diskNote + (said[0] ?? '')),
    row(`build ${label}: parse cache warm, sources touched (new mtimes), new output`, side('broadsheet build', warm), peer, said[1]),
    row(`build ${label}: rebuild, nothing changed`, side('broadsheet build', same), peer, said[2]),
    row(`build ${label}: rebuild, one source changed`, side('broadsheet build', one), peer, said[3]),
  ];
}
