// `broadsheet send` as a child process against a real SMTP server on
// loopback and a real SQLite file: killed mid-edition, run twice at once,
// interrupted, retried, DKIM-signed.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';
import { cliWorkspace } from '../helpers/send.ts';
import { type TestSmtp, closeChecked, startSmtp } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = '2026-11-25T07:00:00+08:00';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  // A killed send resets its connections; anything else the server reports is a fault.
  const s = smtp;
  smtp = undefined;
  await closeChecked(s);
});

async function workspace(subscribers: number, configYaml: string[] = []) {
  const w = await cliWorkspace({ subscribers, configYaml });
  return { ...w, env: (url: string) => ({ SMTP_URL: url, BROADSHEET_SECRET: 'k'.repeat(64) }) };
}

async function waitFor(check: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function byRecipient(s: TestSmtp): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of s.received) m.set(r.rcptTo[0]!, [...(m.get(r.rcptTo[0]!) ?? []), r.messageId]);
  return m;
}

// Each test runs several CLI processes; on a loaded 2-core machine one can take 20 s or more.
describe('broadsheet send (child process)', { timeout: 120_000 }, () => {
  it('resumes after SIGKILL: everyone gets the edition, duplicates only among messages in flight, same Message-ID', async () => {
    smtp = await startSmtp({ delayMs: 40 });
    const w = await workspace(40);
    const first = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    await waitFor(() => smtp!.received.length >= 12);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = smtp.received.length;
    expect(atKill).toBeLessThan(40);

    const second = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('resumed edition daily-20261125-0700');
    expect(second.stdout).toContain('sent: 40 sent, 0 failed, 0 pending');

    const got = byRecipient(smtp);
    expect([...got.keys()].sort()).toEqual(w.emails);
    const duplicated = [...got.entries()].filter(([, ids]) => ids.length > 1);
    // At most the pool's connections were in flight when the process died.
    expect(duplicated.length).toBeLessThanOrEqual(3);
    for (const [, ids] of duplicated) expect(new Set(ids).size).toBe(1);
    expect(smtp.received.length).toBe(40 + duplicated.reduce((n, [, ids]) => n + ids.length - 1, 0));

    const editions = await runCli(['editions', '--json'], { cwd: w.dir });
    expect(JSON.parse(editions.stdout)).toEqual([expect.objectContaining({ id: 'daily-20261125-0700', status: 'sent', counts: { queued: 0, sending: 0, sent: 40, failed: 0, skipped: 0 } })]);
  });

  it('lets only one of two sends started at once deliver', async () => {
    smtp = await startSmtp({ delayMs: 60 });
    const w = await workspace(20);
    const a = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    const b = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    const results = await Promise.all([a.done, b.done]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 75]);
    const loser = results.find((r) => r.code === 75)!;
    expect(loser.stderr).toMatch(/error: another send of daily is running \(.+, lease until .+\); not sending/);
    const got = byRecipient(smtp);
    expect([...got.keys()].sort()).toEqual(w.emails);
    expect([...got.values()].every((ids) => ids.length === 1)).toBe(true);
  });

  it('on Ctrl-C finishes the messages in flight, records them, and the next run completes the edition', async () => {
    smtp = await startSmtp({ delayMs: 40 });
    const w = await workspace(30);
    const run = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    await waitFor(() => smtp!.received.length >= 6);
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('interrupted: finishing the messages in flight');
    expect(stopped.stdout).toMatch(/INCOMPLETE: \d+ sent, 0 failed, \d+ pending/);
    const sentByFirst = Number(/INCOMPLETE: (\d+) sent/.exec(stopped.stdout)![1]);
    // Every message the server accepted was recorded as sent: nothing in flight was abandoned.
    expect(sentByFirst).toBe(smtp.received.length);
    const rest = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(rest.code, rest.stderr).toBe(0);
    const got = byRecipient(smtp);
    expect([...got.keys()].sort()).toEqual(w.emails);
    expect([...got.values()].every((ids) => ids.length === 1)).toBe(true);
  });

  it('reports a partly failed edition honestly, and --retry-failed sends the failed ones once fixed', async () => {
    smtp = await startSmtp({ data: (rcpt) => (rcpt === 'reader003@example.com' ? { code: 554, message: '5.7.1 policy' } : 'accept') });
    const w = await workspace(5);
    const first = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('PARTLY FAILED: 4 sent, 1 failed, 0 pending');
    expect(first.stderr).toContain('broadsheet send --retry-failed daily-20261125-0700');
    const listed = await runCli(['editions'], { cwd: w.dir });
    expect(listed.stdout).toMatch(/daily-20261125-0700\t.*\tsent 4, failed 1, pending 0, skipped 0\tpartly failed\n/);
    expect(listed.stdout).not.toMatch(/\tsent\n/);

    smtp.behave({});
    const retried = await runCli(['send', '--retry-failed', 'daily-20261125-0700'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('sent: 5 sent, 0 failed, 0 pending');
    expect(byRecipient(smtp).get('reader003@example.com')).toHaveLength(1);
    expect(smtp.received).toHaveLength(5);
    const unknown = await runCli(['send', '--retry-failed', 'nope'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(unknown.code).toBe(2);
  });

  it('keeps a bounced failure failed, with its answer, through --retry-failed, and lists it', async () => {
    smtp = await startSmtp({
      rcpt: (a) => (a === 'reader000@example.com' ? { code: 550, message: '5.1.1 no such user' } : 'accept'),
      data: (rcpt) => (rcpt === 'reader003@example.com' ? { code: 554, message: '5.7.1 policy' } : 'accept'),
    });
    const w = await workspace(5);
    const first = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('PARTLY FAILED: 3 sent, 2 failed, 0 pending; 1 address bounced');
    expect(first.stderr).toContain('see `broadsheet editions daily-20261125-0700`');

    smtp.behave({});
    const retried = await runCli(['send', '--retry-failed', 'daily-20261125-0700'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(retried.code, retried.stderr).toBe(1);
    expect(retried.stdout).toContain('retrying 1 failed delivery of daily-20261125-0700; 1 stay failed (the address bounced or the subscriber left), with their answers');
    expect(retried.stdout).toContain('PARTLY FAILED: 4 sent, 1 failed, 0 pending\n');
    // The bounced address was tried by the first run only.
    expect(smtp.attempts.get('reader000@example.com')).toBe(1);

    const listed = await runCli(['editions'], { cwd: w.dir });
    expect(listed.stdout).toMatch(/daily-20261125-0700\t.*\tsent 4, failed 1, pending 0, skipped 0\tpartly failed\n/);
    const one = await runCli(['editions', 'daily-20261125-0700'], { cwd: w.dir });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^daily-20261125-0700\t.*\tpartly failed\n  reader000@example.com\tbounced\t1 attempt\t550 5\.1\.1 no such user\n$/);
    const json = JSON.parse((await runCli(['editions', 'daily-20261125-0700', '--json'], { cwd: w.dir })).stdout);
    expect(json).toMatchObject({ id: 'daily-20261125-0700', status: 'partly failed', failures: [{ email: 'reader000@example.com', subscriberStatus: 'bounced', lastResponse: expect.stringContaining('550 5.1.1 no such user') }] });
    const unknown = await runCli(['editions', 'daily-19990101-0000'], { cwd: w.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: edition: no edition "daily-19990101-0000" (broadsheet editions lists them)\n');
  });

  it('digest --send-to mails the edition that would go out to one address, and records nothing', async () => {
    smtp = await startSmtp({ rcpt: (a) => (a === 'gone@example.com' ? { code: 550, message: '5.1.1 no such user' } : 'accept') });
    const w = await workspace(3);
    const r = await runCli(['digest', '--now', NOW, '--send-to', 'Editor@Example.com'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^test sent to editor@example\.com: 250 .*; no edition, nothing recorded$/m);
    expect(smtp.received.map((m) => m.rcptTo)).toEqual([['editor@example.com']]);
    const got = smtp.received[0]!.raw.toString();
    expect(got).toMatch(/^To: editor@example\.com\r$/m);
    expect(got).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    // No edition, no delivery: the real send afterwards is the first, to every subscriber.
    expect((await runCli(['editions', '--json'], { cwd: w.dir })).stdout.trim()).toBe('[]');
    const sent = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(sent.code, sent.stderr).toBe(0);
    expect(smtp.received.slice(1).map((m) => m.rcptTo[0]).sort()).toEqual(w.emails);
    // A refused test is one line and exit 1; a bad address, exit 2 before anything is done.
    const refused = await runCli(['digest', '--now', NOW, '--send-to', 'gone@example.com'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: --send-to gone@example\.com: refused: .*550.*$/m);
    expect(refused.stderr).not.toMatch(/internal error|at /);
    const bad = await runCli(['digest', '--send-to', 'not-an-address'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --send-to: the address is not an email address (name@example.com)\n');
  });

  it('exits non-zero when the SMTP server is down, marking nothing sent', async () => {
    smtp = await startSmtp();
    const url = smtp.url;
    await smtp.close();
    smtp = undefined;
    const w = await workspace(3);
    const r = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(url) });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/error: mail: cannot reach the SMTP server \(ECONNREFUSED\)/);
    expect(r.stdout).toContain('INCOMPLETE: 0 sent, 0 failed, 3 pending');
  });

  it('signs with DKIM, covering both List-Unsubscribe headers, verifiably', async () => {
    smtp = await startSmtp();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dir0 = await tempDir();
    const keyFile = path.join(dir0, 'dkim.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const w = await workspace(1, ['  dkim:', '    domain: news.example.com', '    selector: bs2026', `    privateKeyFile: ${keyFile}`]);
    const r = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
    expect(r.code, r.stderr).toBe(0);
    const [m] = smtp.received;
    const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const result = await dkimVerify(m!.raw, {
      resolver: async (name: string) => {
        if (name !== 'bs2026._domainkey.news.example.com') throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
        return [[`v=DKIM1; k=rsa; p=${pub}`]];
      },
    });
    expect(result.results[0]!.status.result).toBe('pass');
    // mailauth's types leave out signingHeaders, which its results carry.
    const signed = ((result.results[0] as unknown as { signingHeaders: { keys: string } }).signingHeaders.keys).toLowerCase();
    expect(signed).toContain('list-unsubscribe:');
    expect(signed).toContain('list-unsubscribe-post');
  });
});
