// Shared parts of the whole-command benchmarks: how to run the CLI, how to
// time a child process, medians, the fixed corpus, the table and results.json.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

/** The project folder. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The peers and tools shipped with the task (corpus generator, Hugo site, SMTP sink, nodemailer baseline). */
export const SHARED = process.env.BENCH_SHARED ?? '/work/shared/bench';
/** Generated inputs kept between runs (corpus, Hugo site); not committed. */
export const CACHE = path.join(ROOT, 'bench', '.cache');
export const RESULTS = path.join(ROOT, 'bench', 'results.json');

/** The broadsheet tree measured: this project, or another checkout (BENCH_CLI_ROOT) to compare with. */
export const CLI_ROOT = path.resolve(process.env.BENCH_CLI_ROOT ?? ROOT);

/**
 * The one place that says how the CLI is started. Today it runs the
 * TypeScript sources through tsx; point it at dist/ once there is a build.
 */
export function broadsheet(...args: string[]): string[] {
  return [process.execPath, path.join(CLI_ROOT, 'bin', 'broadsheet.js'), ...args];
}

/** Environment for a broadsheet run whose every folder lives under `dir` (nothing in the project folder is touched). */
export function isolatedEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BROADSHEET_DATA: path.join(dir, 'data'),
    BROADSHEET_OUT: path.join(dir, 'public'),
    BROADSHEET_OUTBOX: path.join(dir, 'outbox'),
    BROADSHEET_TEMPLATES: path.join(CLI_ROOT, 'templates'),
    BROADSHEET_SECRET: 'bench-secret-'.padEnd(64, 'x'),
    ...extra,
  };
}

export interface Run {
  /** Wall time of the whole command, start-up included. */
  ms: number;
  /** CPU time (user + system) of the process tree. */
  cpuMs: number;
  /** Peak resident set size of the largest process in the tree (getrusage RUSAGE_CHILDREN), MiB. */
  rssMb: number;
  /**
   * CPU the rest of the machine used meanwhile, in cores (busy time from
   * /proc/stat less this command's own, over the wall time): other people's
   * tests and benchmarks. Above ~0.2 the figures are noisy. null off Linux.
   */
  othersCores: number | null;
  code: number;
  stdout: string;
  stderr: string;
}

// Runs the command and reports its wall time and the children's rusage. A
// separate python3 process so that the figures cover only the command's tree,
// not the harness (python3's standard library is on every machine we use).
// It first flushes the file system's dirty pages (sync): the corpus copied
// or the folder removed just before, or the previous command's output, would
// otherwise be written back during this command and charged to it (seen
// here: a build after a 10,000-file copy took twice its kernel time).
const WRAPPER = `
import json, os, resource, subprocess, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
def busy():
    try:
        f = [int(x) for x in open('/proc/stat').readline().split()[1:]]
        return (sum(f[:8]) - f[3] - f[4]) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return None
os.sync()
with open(out, 'wb') as o, open(err, 'wb') as e:
    b, t = busy(), time.perf_counter()
    code = subprocess.call(cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
    wall, b2 = time.perf_counter() - t, busy()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
others = None if b is None else max(0.0, (b2 - b - cpu) / wall)
print(json.dumps({"ms": wall * 1000, "cpuMs": cpu * 1000, "rssKb": ru.ru_maxrss, "othersCores": others, "code": code}))
`;

let logDir: string | undefined;
process.on('exit', () => logDir && remove(logDir));

export function timed(cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  logDir ??= mkdtempSync(path.join(tmpdir(), 'broadsheet-peers-log-'));
  const out = path.join(logDir, 'stdout'), err = path.join(logDir, 'stderr');
  const r = spawnSync('python3', ['-c', WRAPPER, out, err, ...cmd], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`timing wrapper failed (${r.error?.message ?? r.stderr})`);
  const m = JSON.parse(r.stdout) as { ms: number; cpuMs: number; rssKb: number; othersCores: number | null; code: number };
  return {
    ms: m.ms,
    cpuMs: m.cpuMs,
    rssMb: m.rssKb / 1024,
    othersCores: m.othersCores,
    code: m.code,
    stdout: readFileSync(out, 'utf8'),
    stderr: readFileSync(err, 'utf8'),
  };
}

/** Fails loudly with the command's own words when it did not exit as expected. */
export function expectExit(run: Run, what: string, codes: number[] = [0]): Run {
  if (!codes.includes(run.code)) {
    throw new Error(`${what}: exit ${run.code}\n${tail(run.stderr)}\n${tail(run.stdout)}`);
  }
  return run;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Is `name` on the PATH? A missing peer is skipped, not an error. */
export function installed(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export function freshDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `broadsheet-peers-${label}-`));
}

export function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The deterministic corpus of `n` sources (seed 1), generated into bench/.cache/ when missing. */
export function corpus(n: number): string {
  if (process.env.BENCH_CORPUS) return process.env.BENCH_CORPUS;
  const dir = path.join(CACHE, `corpus-${n}-seed1`);
  if (existsSync(dir)) return dir;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${dir}.partial`;
  remove(partial);
  console.error(`generating the ${n}-source corpus into ${dir} …`);
  const r = spawnSync('python3', [path.join(SHARED, 'gen_corpus.py'), partial, String(n), '--seed', '1'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`gen_corpus.py failed (exit ${r.status})`);
  renameSync(partial, dir);
  return dir;
}

export function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

/** One side of a comparison: every run's wall time and the peak memory seen. */
export interface Side {
  label: string;
  runsMs: number[];
  medianMs: number;
  cpuMedianMs: number;
  peakRssMb: number;
  /** The most CPU the rest of the machine used during any of these runs, in cores (see Run.othersCores). */
  othersMaxCores: number | null;
  /** Messages per second at the median wall time, for send rows. */
  perSecond?: number;
}

export function side(label: string, runs: Run[], items?: number): Side {
  // No runs (all failed): NaN, which the table prints as "failed" and JSON as null.
  const medianMs = runs.length ? median(runs.map((r) => r.ms)) : NaN;
  return {
    label,
    runsMs: runs.map((r) => Math.round(r.ms)),
    medianMs: Math.round(medianMs),
    cpuMedianMs: Math.round(median(runs.map((r) => r.cpuMs))),
    peakRssMb: Math.round(Math.max(...runs.map((r) => r.rssMb))),
    othersMaxCores: runs.some((r) => r.othersCores === null) ? null : Number(Math.max(...runs.map((r) => r.othersCores!)).toFixed(2)),
    ...(items === undefined ? {} : { perSecond: Math.round(items / (medianMs / 1000)) }),
  };
}

export interface Row {
  name: string;
  broadsheet?: Side;
  peer?: Side;
  /** broadsheet's median wall time over the peer's: above 1, broadsheet is slower. */
  ratio?: number;
  /** The same for CPU time (user + system), steadier than wall time when the machine is shared. */
  cpuRatio?: number;
  note?: string;
}

export function row(name: string, bs: Side | undefined, peer?: Side, note?: string): Row {
  const ratio = bs && peer ? bs.medianMs / peer.medianMs : NaN;
  const cpuRatio = bs && peer ? bs.cpuMedianMs / peer.cpuMedianMs : NaN;
  return {
    name,
    ...(bs ? { broadsheet: bs } : {}),
    ...(peer ? { peer } : {}),
    ...(Number.isFinite(ratio) ? { ratio: Number(ratio.toFixed(2)) } : {}),
    ...(Number.isFinite(cpuRatio) ? { cpuRatio: Number(cpuRatio.toFixed(2)) } : {}),
    ...(note ? { note } : {}),
  };
}

function duration(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`;
}

function cell(s: Side | undefined): string {
  if (!s) return '—';
  if (!Number.isFinite(s.medianMs)) return 'failed';
  return s.perSecond === undefined ? duration(s.medianMs) : `${duration(s.medianMs)} (${s.perSecond}/s)`;
}

export function table(rows: Row[]): string {
  const lines = rows.map((r) => {
    const peer = r.peer ? `${r.peer.label}: ${cell(r.peer)}` : '—';
    const mib = (s: Side | undefined) => (s && s.runsMs.length ? `${s.peakRssMb} MiB` : '—');
    const mem = `${mib(r.broadsheet)} / ${mib(r.peer)}`;
    const cpu = (s: Side | undefined) => (s && s.runsMs.length ? duration(s.cpuMedianMs) : '—');
    const others = Math.max(r.broadsheet?.othersMaxCores ?? 0, r.peer?.othersMaxCores ?? 0);
    const noise = others > 0.2 ? `NOISY: others used up to ${others.toFixed(1)} cores. ` : '';
    const ratios = `${r.ratio?.toFixed(2) ?? '—'} / ${r.cpuRatio?.toFixed(2) ?? '—'}`;
    return `| ${r.name} | ${cell(r.broadsheet)} | ${peer} | ${ratios} | ${cpu(r.broadsheet)} / ${cpu(r.peer)} | ${mem} | ${noise}${r.note ?? ''} |`;
  });
  return [
    '| benchmark | broadsheet (median wall) | peer (median wall) | ratio wall / CPU | CPU broadsheet / peer | peak RSS broadsheet / peer | note |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...lines,
  ].join('\n');
}

/** Merges `key` into bench/results.json, leaving the other parts' keys alone. */
export function saveResults(key: string, value: unknown): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
  } catch {
    // missing or unreadable: start afresh
  }
  all[key] = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    cli: broadsheet().slice(1).join(' '),
    ...(value as object),
  };
  const tmp = `${RESULTS}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(tmp, RESULTS);
}

/** Progress for whoever watches a long run; the table is the result. */
export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}
