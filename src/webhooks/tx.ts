import type { Tx } from '../db/index.js';

export type { Tx };

export const toDate = (unixSec: number): Date => new Date(unixSec * 1000);
export const toUnix = (d: Date): number => Math.floor(d.getTime() / 1000);
