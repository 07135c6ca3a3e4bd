import type { Command } from 'commander';
import { type Io, settingsFor } from '../../io.ts';

export function registerRemove(group: Command, io: Io): void {
  group
    .command('remove')
    .description('unsubscribe an address (immediate, idempotent)')
    .argument('<email>', 'the address')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ withStore }, { unsubscribeByEmail }] = await Promise.all([import('../../../app/wiring.ts'), import('../../../subscribers/service.ts')]);
      await withStore(settings, io, async (store) => {
        const r = await unsubscribeByEmail({ store: store.subscribers, clock: io.clock }, email);
        // Idempotent: the address is not on the list afterwards, whatever it was before.
        if (r.outcome === 'unknown') {
          io.stdout(`${email.trim().toLowerCase()} is not subscribed; nothing changed\nunsubscribed 0\n`);
          return;
        }
        io.stdout(
          r.outcome === 'unsubscribed'
            ? `unsubscribed ${r.subscriber!.email}\nunsubscribed 1\n`
            : `${r.subscriber!.email} was already unsubscribed (since ${r.subscriber!.unsubscribedAt}); nothing changed\nunsubscribed 0\n`,
        );
      });
    });
}
