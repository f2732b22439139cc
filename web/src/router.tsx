// A tiny router over the History API: paths under /dashboard/.
import { createContext, useContext, type MouseEvent, type ReactNode } from 'react';

export const BASE = '/dashboard';
export const Route = createContext<{ path: string; go: (p: string) => void }>({ path: '/', go: () => undefined });
export const useRoute = () => useContext(Route);

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p === '' ? '/' : p;
}

export function Link(props: { to: string; children: ReactNode; className?: string; testId?: string }) {
  const { go } = useRoute();
  const onClick = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.button !== 0) return;
    e.preventDefault();
    go(props.to);
  };
  return (
    <a href={`${BASE}${props.to}`} onClick={onClick} className={props.className} data-testid={props.testId}>
      {props.children}
    </a>
  );
}
