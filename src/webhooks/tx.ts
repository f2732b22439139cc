import type { Database } from '../db/index.js';

/** A Database or a transaction of it (same query builder). */
export type Tx = Pick<Database, 'select' | 'selectDistinct' | 'insert' | 'update' | 'delete' | 'execute'>;

export const toDate = (unixSec: number): Date => new Date(unixSec * 1000);
export const toUnix = (d: Date): number => Math.floor(d.getTime() / 1000);
