// The command tree. Each command lives in commands/ and gets the Io it may use.
import { Command } from 'commander';
import type { Io } from './io.ts';
import { registerBuild } from './commands/build.ts';
import { registerCheck } from './commands/check.ts';
import { registerDigest } from './commands/digest.ts';
import { registerEditions } from './commands/editions.ts';
import { registerSchedules } from './commands/schedules.ts';
import { registerSend } from './commands/send.ts';
import { registerServe } from './commands/serve.ts';
import { registerSubscribers } from './commands/subscribers/index.ts';
import { EXIT, describeError, exitCodeOf } from './exit.ts';

export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const setExit = (c: number) => {
    code = c;
  };
  const program = new Command('broadsheet')
    .description('Turns newsroom article sources into RSS, Atom and JSON feeds and email digests.')
    .option('--config <file>', 'config file (env BROADSHEET_CONFIG; default broadsheet.config.yaml if present)')
    .option('--allow-local', 'mail a real SMTP server although the site is local or mail.from is unset (test setups)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  registerCheck(program, io, setExit);
  registerBuild(program, io, setExit);
  registerSubscribers(program, io, setExit);
  registerSend(program, io, setExit);
  registerEditions(program, io);
  registerDigest(program, io, setExit);
  registerServe(program, io);
  registerSchedules(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const exit = exitCodeOf(err);
    // commander already printed its own messages (usage errors, --help).
    if (!(err instanceof Error && err.name === 'CommanderError')) io.stderr(describeError(err) + '\n');
    return exit;
  }
  return code;
}
