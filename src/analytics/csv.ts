// CSV for every dashboard table: RFC 4180 quoting, CRLF rows, a UTF-8 BOM so Excel opens Cyrillic right, and
// cells starting with = + - @ prefixed with ' (no formula injection when opened in a spreadsheet).
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

const BOM = '\uFEFF';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+([.,]\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(columns: CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(c.value(r))).join(','));
  return BOM + lines.join('\r\n') + '\r\n';
}

/** `Content-Disposition` for a download; the name is ASCII (plus a UTF-8 filename*). */
export function attachment(name: string): string {
  return `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
