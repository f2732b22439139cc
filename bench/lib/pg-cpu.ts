// CPU time of the PostgreSQL backends serving one database, from /proc (only when the server is local;
// undefined otherwise). Lets the bench say where a lead's CPU goes: app, load generator, database.
import { readFileSync } from 'node:fs';
import type { Db } from '../../src/db/index.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function procCpuMs(pid: number): number | undefined {
  try {
    // Fields after the ")" of the command name: utime and stime are fields 14 and 15 of the full line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Sum of CPU ms over the backends connected to this database now (the app's pool stays open in a run). */
export async function backendCpuMs(db: Db): Promise<number | undefined> {
  const res = await db.executeSql('select pid from pg_stat_activity where datname = current_database()');
  let total = 0;
  for (const row of res.rows) {
    const ms = procCpuMs(Number(row.pid));
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
