// localStorage on the site's own origin, with an in-memory fallback (storage disabled, private modes).
const memory: Record<string, string> = {};

export function read<T>(key: string): T | undefined {
  let s: string | null | undefined;
  try {
    s = localStorage.getItem(key);
  } catch {
    s = memory[key];
  }
  if (!s) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

export function write(key: string, value: unknown): void {
  const s = JSON.stringify(value);
  try {
    localStorage.setItem(key, s);
  } catch {
    memory[key] = s;
  }
}
