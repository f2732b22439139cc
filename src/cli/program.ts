// The leadbridge CLI program: a small commander dispatcher, one file per command. Add commands here.
import { Command } from 'commander';
import { registerEmulatorCommand } from './emulator.js';
import { registerStartCommand } from './start.js';
import { registerReconcileCommand } from './reconcile.js';
import { registerSetupCommand } from './setup.js';
import { registerDoctorCommand } from './doctor.js';
import { registerReplayCommand } from './replay.js';
import { registerWorkerCommand } from './worker.js';
import { registerWebhookUrlCommand } from './webhook-url.js';
import { registerUsersCommand } from './users.js';
import { registerFollowupsCommand } from './followups.js';
import { registerPrivacyCommands } from './privacy.js';

export function buildProgram(): Command {
  const program = new Command();
  program.name('leadbridge').description('Self-hosted bridge from website forms to amoCRM (Kommo)').version('0.1.0');
  registerStartCommand(program);
  registerEmulatorCommand(program);
  registerReconcileCommand(program);
  registerSetupCommand(program);
  registerDoctorCommand(program);
  registerReplayCommand(program);
  registerWorkerCommand(program);
  registerWebhookUrlCommand(program);
  registerUsersCommand(program);
  registerFollowupsCommand(program);
  registerPrivacyCommands(program);
  return program;
}
