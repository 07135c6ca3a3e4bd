import type { Command } from 'commander';
import type { Io } from '../../io.ts';
import { registerAdd } from './add.ts';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';
import { registerList } from './list.ts';
import { registerRemove } from './remove.ts';

export function registerSubscribers(program: Command, io: Io, setExit: (code: number) => void): void {
  const group = program.command('subscribers').description('manage digest subscribers');
  registerAdd(group, io, setExit);
  registerRemove(group, io);
  registerList(group, io);
  registerImport(group, io, setExit);
  registerExport(group, io);
}
