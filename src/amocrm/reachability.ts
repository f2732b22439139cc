// Whether amoCRM answers at all (any HTTP response) or the network fails (refused, DNS, timeout), as last seen by a
// call. The client logs each change once (unreachable → reachable), not once per failed call; /health reads it.
export interface ReachabilityState {
  /** `unknown` until the first call ends. */
  state: 'unknown' | 'reachable' | 'unreachable';
  /** Since when the current state holds (epoch ms), null while unknown. */
  since: number | null;
  /** Error code of the last network failure (CONNECTION, TIMEOUT) while unreachable. */
  error?: string;
  /** Failed calls since it became unreachable. */
  failures: number;
  /** When the last call ended (epoch ms). */
  lastCallAt: number | null;
}

export class Reachability {
  private s: ReachabilityState = { state: 'unknown', since: null, failures: 0, lastCallAt: null };

  constructor(
    private readonly now: () => number,
    private readonly onChange?: (next: ReachabilityState, prev: ReachabilityState) => void,
  ) {}

  state(): ReachabilityState {
    return { ...this.s };
  }

  /** amoCRM answered (any status: it is up, whatever it said). */
  answered(): void {
    const at = this.now();
    if (this.s.state === 'reachable') {
      this.s.lastCallAt = at;
      return;
    }
    const prev = this.state();
    this.s = { state: 'reachable', since: at, failures: 0, lastCallAt: at };
    this.onChange?.(this.state(), prev);
  }

  /** The call got no answer: refused, unresolvable, reset or timed out. */
  failed(error: string): void {
    const at = this.now();
    if (this.s.state === 'unreachable') {
      this.s.failures++;
      this.s.error = error;
      this.s.lastCallAt = at;
      return;
    }
    const prev = this.state();
    this.s = { state: 'unreachable', since: at, error, failures: 1, lastCallAt: at };
    this.onChange?.(this.state(), prev);
  }
}
