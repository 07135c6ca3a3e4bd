import type { Command } from 'commander';
import type { Subscriber } from '../../../model.ts';
import type { SubscribeOutcome } from '../../../subscribers/lifecycle.ts';
import { EXIT } from '../../exit.ts';
import { type Io, settingsFor } from '../../io.ts';

const MESSAGES: Record<SubscribeOutcome, (s: Subscriber, via: string) => string> = {
  created: (s, via) => `added ${s.email} (${s.schedule}), pending: confirmation sent to the ${via}`,
  'pending-again': (s, via) => `${s.email} was already pending (${s.schedule}): confirmation sent again to the ${via}`,
  resubscribed: (s, via) => `${s.email} had unsubscribed; pending again (${s.schedule}): confirmation sent to the ${via}`,
  activated: (s) => `added ${s.email} (${s.schedule}), active`,
  'already-active': (s) => `${s.email} is already active (${s.schedule}); nothing changed`,
  refused: (s) =>
    `${s.email} is ${s.status}${s.unsubscribedAt ? ` since ${s.unsubscribedAt}` : ''}; not re-added with --confirmed: they must subscribe again themselves`,
};

export function registerAdd(group: Command, io: Io, setExit: (code: number) => void): void {
  group
    .command('add')
    .description('add a subscriber; without --confirmed they get a confirmation email (double opt-in)')
    .argument('<email>', 'the address')
    .option('--name <name>', 'display name')
    .option('--schedule <id>', 'which digest they receive (default: daily)')
    .option('--confirmed', 'they opted in elsewhere: active now, no confirmation email')
    .action(async (email: string, opts: { name?: string; schedule?: string; confirmed?: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ withStore, subscriptionDeps }, { subscribe }] = await Promise.all([import('../../../app/wiring.ts'), import('../../../subscribers/service.ts')]);
      await withStore(settings, io, async (store) => {
        const deps = await subscriptionDeps(settings, io, store);
        try {
          const r = await subscribe(deps, { email, name: opts.name, schedule: opts.schedule, origin: 'cli', confirmed: opts.confirmed });
          if (r.confirmationProblem) {
            const p = r.confirmationProblem;
            io.stderr(
              p.bounced
                ? `error: the mail server refused ${r.subscriber!.email}: ${p.message}; marked bounced (no mail will go to it)\n`
                : `error: the confirmation to ${r.subscriber!.email} was not sent: ${p.message}; they stay pending (run add again to resend)\n`,
            );
            io.stdout(`added 0, unchanged 0, refused 1\n`);
            setExit(EXIT.rejected);
            return;
          }
          io.stdout(MESSAGES[r.outcome](r.subscriber!, deps.transport.description) + '\n');
          const added = r.outcome === 'created' || r.outcome === 'activated' ? 1 : 0;
          io.stdout(`added ${added}, unchanged ${r.outcome === 'already-active' || r.outcome === 'pending-again' ? 1 : 0}, refused ${r.outcome === 'refused' ? 1 : 0}\n`);
          if (r.outcome === 'refused') setExit(EXIT.rejected);
        } finally {
          await deps.transport.close();
        }
      });
    });
}
