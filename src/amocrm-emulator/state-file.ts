// Optional persistence of the whole state (store + tokens) to a JSON file, for `leadbridge emulator --state-file`.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EmuCtx } from './context.js';
import type { EmulatorStore } from './state.js';

const replacer = (_k: string, v: unknown): unknown => (v instanceof Map ? { __map: [...v.entries()] } : v);
const reviver = (_k: string, v: unknown): unknown =>
  v && typeof v === 'object' && '__map' in v && Array.isArray((v as { __map: unknown }).__map) ? new Map((v as { __map: [unknown, unknown][] }).__map) : v;

export function saveStateFile(file: string, ctx: EmuCtx): void {
  const { calls: _calls, ...rest } = ctx.store;
  const data = JSON.stringify({ version: 1, store: { ...rest, calls: [] }, tokens: ctx.tokens.exportState() }, replacer);
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

export function loadStateFile(file: string, ctx: EmuCtx): void {
  if (!existsSync(file)) return;
  const data = JSON.parse(readFileSync(file, 'utf8'), reviver) as { version: number; store: EmulatorStore; tokens: unknown };
  if (data.version !== 1) return;
  ctx.store = data.store;
  ctx.tokens.importState(data.tokens);
}
