// Optional persistence of the whole state (store + tokens) to a JSON file, for `leadbridge emulator --state-file`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EmuCtx } from './context.js';
import type { EmulatorStore } from './state.js';

const replacer = (_k: string, v: unknown): unknown => (v instanceof Map ? { __map: [...v.entries()] } : v);
const reviver = (_k: string, v: unknown): unknown =>
  v && typeof v === 'object' && '__map' in v && Array.isArray((v as { __map: unknown }).__map) ? new Map((v as { __map: [unknown, unknown][] }).__map) : v;

/** Writes store + tokens (+ the clock offset set by advanceClock, so emulator time does not jump back on restart). */
export function saveStateFile(file: string, ctx: EmuCtx, clockOffsetMs = 0): void {
  const { calls: _calls, ...rest } = ctx.store;
  const data = JSON.stringify({ version: 1, store: { ...rest, calls: [] }, tokens: ctx.tokens.exportState(), clockOffsetMs }, replacer);
  // The directory may not exist (a sandbox on DATABASE_URL has no data dir of its own): create it, never answer 500.
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

/** Loads a saved state into ctx; returns the saved clock offset (0 when none), or undefined when nothing was loaded. */
export function loadStateFile(file: string, ctx: EmuCtx): number | undefined {
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, 'utf8'), reviver) as { version: number; store: EmulatorStore; tokens: unknown; clockOffsetMs?: number };
  if (data.version !== 1) return undefined;
  ctx.store = data.store;
  ctx.tokens.importState(data.tokens);
  return typeof data.clockOffsetMs === 'number' ? data.clockOffsetMs : 0;
}
