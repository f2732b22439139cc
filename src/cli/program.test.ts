// The CLI loads only the command it runs; the help still lists every command with its real description.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands.js';
import { buildProgram } from './program.js';

describe('leadbridge CLI program', () => {
  it('registers every command of COMMANDS, each with its description and options', async () => {
    const all = await buildProgram(['node', 'leadbridge'], { all: true });
    expect(all.commands.map((c) => c.name())).toEqual(Object.keys(COMMANDS));
    for (const c of all.commands) expect(c.description()).toBe(COMMANDS[c.name() as keyof typeof COMMANDS]);
    expect(all.commands.find((c) => c.name() === 'setup')?.options.map((o) => o.long)).toContain('--dry-run');
  });

  it('for `--help` loads no command: the list comes from COMMANDS alone', async () => {
    const light = await buildProgram(['node', 'leadbridge', '--help']);
    expect(light.commands.map((c) => c.name())).toEqual(Object.keys(COMMANDS));
    expect(light.commands.every((c) => c.options.length === 0)).toBe(true);
    expect(light.helpInformation()).toContain(COMMANDS.forget.slice(0, 30));
  });

  it('loads the named command only (also through `help <command>`)', async () => {
    for (const argv of [['setup', '--dry-run'], ['help', 'setup']]) {
      const p = await buildProgram(['node', 'leadbridge', ...argv]);
      expect(p.commands.find((c) => c.name() === 'setup')?.options.map((o) => o.long)).toContain('--dry-run');
      expect(p.commands.find((c) => c.name() === 'doctor')?.options).toEqual([]);
    }
    const forget = await buildProgram(['node', 'leadbridge', 'forget', '--phone', '+79001234567']);
    expect(forget.commands.find((c) => c.name() === 'forget')?.options.map((o) => o.long)).toEqual(['--phone', '--email']);
  });
});
