import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { SendError } from '../../mail/transport.ts';
import { EXIT } from '../exit.ts';
import { itemLine } from '../diagnostics.ts';
import { type Io, parseNow, settingsFor } from '../io.ts';

export function registerDigest(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('digest')
    .description('preview the digest that would go out now: writes digest.html, digest.txt and digest.eml; --send-to mails it to one address as a test')
    .option('--schedule <id>', 'which schedule (default: daily)')
    .option('--now <iso>', 'the moment to preview (default: now)')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES)')
    .option('--out <dir>', 'where to write the preview (default: <data folder>/preview, outside the published site)')
    .option('--send-to <address>', 'also mail the preview to this address, as a test: no edition, nothing recorded, its links unsubscribe no one')
    .action(async (opts: { schedule?: string; now?: string; articles?: string; out?: string; sendTo?: string }, cmd: Command) => {
      let testTo: { email: string; name: null } | undefined;
      if (opts.sendTo !== undefined) {
        // Loaded here: the address checker (validator) is heavy, and `--help` must start fast.
        const { normaliseAddress } = await import('../../subscribers/address.ts');
        const checked = normaliseAddress(opts.sendTo);
        if (!checked.ok) throw new UsageError(`--send-to: the address ${checked.error}`);
        testTo = { email: checked.value, name: null };
      }
      const settings = await settingsFor(io, cmd, [[['paths', 'articles'], opts.articles]]);
      const { config } = settings;
      const [{ scheduleOf }, wiring, { previewDigest }, { writeAtomic }] = await Promise.all([
        import('../options.ts'),
        import('../../app/wiring.ts'),
        import('../../send/preview.ts'),
        import('../../fs-atomic.ts'),
      ]);
      const schedule = scheduleOf(config, opts.schedule);
      const now = parseNow(opts.now, io);
      const engine = await wiring.loadEngine(config);
      await wiring.checkEmailTemplates(engine, config);
      await wiring.withStore(settings, io, async (store) => {
        const corpus = await wiring.readCorpusFor(config, store, 'look', now);
        const r = await previewDigest({ store, config, engine, corpus, random: () => io.random(8) }, schedule, now, testTo);
        // Not under the output folder: a preview (with a sample reader's links) must never be deployed with the site.
        const out = opts.out ?? path.join(config.paths.data, 'preview');
        const files = Object.keys(r.files).map((name) => path.join(out, name));
        for (const [name, content] of Object.entries(r.files)) await writeAtomic(path.join(out, name), content);
        if (r.fallback) io.stderr(`nothing new since ${r.since} for ${schedule}; previewing the newest ${r.total} item(s) instead\n`);
        io.stdout(
          `subject: ${r.subject}\nitems: ${r.total} (${r.shown} shown)\n`,
        );
        const byId = new Map(corpus.articles.map((a) => [a.id, a]));
        for (const id of r.itemIds) io.stdout(itemLine(byId.get(id)!));
        io.stdout(`HTML: ${(r.htmlBytes / 1024).toFixed(1)} KB (budget ${config.mail.sizeBudgetKb} KB)\nwrote ${files.join(', ')}\n`);
        if (testTo) {
          // The one message of a test send: the SendError of a refusal says what the server answered (exit 1 or 69).
          const transport = await wiring.openTransport(settings, io);
          try {
            const receipt = await transport.sendRaw(r.message);
            io.stdout(`test sent to ${testTo.email}: ${receipt.response}; no edition, nothing recorded\n`);
          } catch (err) {
            if (!(err instanceof SendError)) throw err;
            // Refused for good (5xx): the address or the message; anything else: the server, try again.
            io.stderr(`error: --send-to ${testTo.email}: ${err.kind === 'temporary' ? 'not sent' : 'refused'}: ${err.message}\n`);
            setExit(err.kind === 'temporary' ? EXIT.unavailable : EXIT.rejected);
          } finally {
            await transport.close();
          }
        }
      });
    });
}
