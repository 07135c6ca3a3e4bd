// Confirmation emails go out after the subscribe answer, not before it: the
// answer then takes as long for a new address as for a known one (nothing
// to learn from timing), and a slow mail server never holds a reader's
// page. Each still goes through the service's sendConfirmation (a refused
// address is marked bounced). On shutdown the server waits for the ones in
// flight.
import type { Logger } from 'pino';
import type { ConfirmationSender } from '../subscribers/confirmation.ts';
import { type SubscriptionDeps, sendConfirmation } from '../subscribers/service.ts';

export interface BackgroundConfirmations extends ConfirmationSender {
  /** Resolves when every confirmation handed over so far is sent or has failed. */
  settled(): Promise<void>;
}

/** `deps.confirmations` is the real sender; the result hands confirmations to it in the background. */
export function backgroundConfirmations(deps: SubscriptionDeps, log: Logger): BackgroundConfirmations {
  const inFlight = new Set<Promise<void>>();
  return {
    async send(subscriber) {
      const p = sendConfirmation(deps, subscriber)
        .then((problem) => {
          if (problem === null) log.info({ subscriber: subscriber.id, schedule: subscriber.schedule }, 'confirmation email sent');
          else log.warn({ subscriber: subscriber.id, bounced: problem.bounced }, `confirmation email refused: ${problem.message}`);
        })
        // The transport is down: the reader can ask again from the form (pending-again sends a fresh one).
        .catch((err: unknown) => log.error({ subscriber: subscriber.id, err: (err as Error).message }, 'confirmation email failed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
