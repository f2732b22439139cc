// The leadbridge CLI program: a small commander dispatcher, one file per command. Add a command to COMMANDS
// (commands.ts) and to LOADERS here.
//
// Only the command being run is loaded: `leadbridge setup …` imports setup.ts alone, and `leadbridge --help` imports
// none (each command pulls in Fastify, the database drivers, the amoCRM client …, which took ~2 s before anything
// was printed). The help lists every command from COMMANDS; `leadbridge <command> --help` loads that command.
import { Command } from 'commander';
import { COMMANDS, type CommandName } from './commands.js';

const LOADERS: Record<CommandName, () => Promise<(program: Command) => void>> = {
  start: async () => (await import('./start.js')).registerStartCommand,
  emulator: async () => (await import('./emulator.js')).registerEmulatorCommand,
  reconcile: async () => (await import('./reconcile.js')).registerReconcileCommand,
  setup: async () => (await import('./setup.js')).registerSetupCommand,
  doctor: async () => (await import('./doctor.js')).registerDoctorCommand,
  replay: async () => (await import('./replay.js')).registerReplayCommand,
  worker: async () => (await import('./worker.js')).registerWorkerCommand,
  'webhook-url': async () => (await import('./webhook-url.js')).registerWebhookUrlCommand,
  users: async () => (await import('./users.js')).registerUsersCommand,
  followups: async () => (await import('./followups.js')).registerFollowupsCommand,
  backup: async () => (await import('./privacy.js')).registerPrivacyCommands,
  restore: async () => (await import('./privacy.js')).registerPrivacyCommands,
  forget: async () => (await import('./privacy.js')).registerPrivacyCommands,
};

const isCommand = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMANDS, name);

/** The command argv names (`leadbridge help <command>` counts as that command), if any. */
function commandOf(argv: string[]): CommandName | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return isCommand(name) ? name : undefined;
}

/**
 * The program for `argv`: the named command fully registered, the others as name + description (enough for the
 * help and for commander's "unknown command" suggestions). `all: true` registers every command (tests).
 */
export async function buildProgram(argv: string[] = process.argv, opts: { all?: boolean } = {}): Promise<Command> {
  const program = new Command();
  program.name('leadbridge').description('Self-hosted bridge from website forms to amoCRM (Kommo)').version('0.1.0');
  const wanted = new Set<CommandName>(opts.all ? (Object.keys(COMMANDS) as CommandName[]) : [commandOf(argv)].filter(isCommand));
  const loaded = new Set<(program: Command) => void>();
  for (const name of wanted) {
    const register = await LOADERS[name]();
    if (!loaded.has(register)) register(program); // one file may register several (backup, restore, forget)
    loaded.add(register);
  }
  for (const [name, description] of Object.entries(COMMANDS)) {
    if (!program.commands.some((c) => c.name() === name)) program.command(name).description(description).allowUnknownOption().helpOption(false);
  }
  // The help lists commands in the order they were added: keep the order of COMMANDS.
  const order = Object.keys(COMMANDS);
  (program.commands as Command[]).sort((a, b) => order.indexOf(a.name()) - order.indexOf(b.name()));
  return program;
}
