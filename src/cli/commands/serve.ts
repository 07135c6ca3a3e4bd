import type { Command } from 'commander';
import { EXIT } from '../exit.ts';
import { type Io, settingsFor } from '../io.ts';

/** SIGTERM to exit: in-flight work gets this long, then the process ends anyway. */
const STOP_DEADLINE_MS = 9_500;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description('build, then serve the feeds and pages over HTTP, take subscriptions, rebuild when articles change and send each schedule on time')
    .option('--host <address>', 'address to listen on (server.host; default 127.0.0.1: this machine only)')
    .option('--port <n>', 'TCP port (server.port; default 8080)')
    .option('--trust-proxy', 'take the client address from X-Forwarded-For (server.trustProxy); only behind a reverse proxy')
    .option('--no-scheduler', 'do not send on schedule (another process sends)')
    .option('--no-watch', 'do not rebuild when the articles folder changes')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES)')
    .option('--out <dir>', 'output folder (env BROADSHEET_OUT)')
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')} (default info; debug logs every request)`, 'info')
    .action(
      async (
        opts: { host?: string; port?: string; trustProxy?: boolean; scheduler: boolean; watch: boolean; articles?: string; out?: string; logLevel: string },
        cmd: Command,
      ) => {
        const { UsageError } = await import('../../errors.ts');
        if (!LEVELS.includes(opts.logLevel)) throw new UsageError(`--log-level: "${opts.logLevel}" is not one of ${LEVELS.join(', ')}`);
        const settings = await settingsFor(io, cmd, [
          [['server', 'host'], opts.host],
          [['server', 'port'], opts.port],
          [['server', 'trustProxy'], opts.trustProxy ? 'true' : undefined],
          [['paths', 'articles'], opts.articles],
          [['paths', 'out'], opts.out],
        ]);
        const { config } = settings;
        const [{ default: pino }, wiring, { startService }] = await Promise.all([
          import('pino'),
          import('../../app/wiring.ts'),
          import('../../server/service.ts'),
        ]);
        // One JSON line per event on stderr (journald, docker logs); tokens and addresses' secrets never go in.
        const log = pino({ level: opts.logLevel, base: null, timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => io.stderr(line) });
        const edge = { clock: io.clock, random: io.random, stderr: (text: string) => log.info(text.trim()) };
        const engine = await wiring.loadEngine(config);
        await wiring.checkEmailTemplates(engine, config);
        const store = await wiring.openStoreFor(settings, io);
        let transport: Awaited<ReturnType<typeof wiring.openTransport>> | null = null;
        try {
          transport = await wiring.openTransport(settings, edge);
          const secret = await wiring.loadSecretFor(settings, (text) => log.warn(text.trim()));
          const service = await startService({ config, edge, log, store, engine, transport, secret, schedule: opts.scheduler, watch: opts.watch });
          await new Promise<void>((resolve) => {
            const dispose = io.onInterrupt(() => {
              dispose();
              resolve();
            });
          });
          log.info('stopping: finishing requests and messages in flight');
          const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_DEADLINE_MS).unref());
          if ((await Promise.race([service.stop().then(() => 'done' as const), deadline])) === 'late') {
            log.error(`stopping took longer than ${STOP_DEADLINE_MS / 1000} s; exiting now (the next start resumes unfinished deliveries)`);
            io.exitNow(EXIT.interrupted);
          }
          log.info('stopped');
        } finally {
          await transport?.close();
          await store.close();
        }
      },
    );
}
