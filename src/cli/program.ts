// The leadbridge CLI program: a small commander dispatcher, one file per command. Add commands here.
import { Command } from 'commander';
import { registerEmulatorCommand } from './emulator.js';

export function buildProgram(): Command {
  const program = new Command();
  program.name('leadbridge').description('Self-hosted bridge from website forms to amoCRM (Kommo)').version('0.1.0');
  registerEmulatorCommand(program);
  return program;
}
