// Circuit breaker per account. amoCRM answers repeated abuse with a 403 on everything (often an nginx HTML page,
// fact sheet §4), lifted only by support. So: repeated 429s followed by a 403, or any HTML 403, open the circuit;
// calls then fail fast without touching the network until the pause ends, and half-open lets one probe through.
import { AmoCircuitOpenError } from './errors.js';

export type CircuitStateName = 'closed' | 'open' | 'half_open';

export interface CircuitState {
  state: CircuitStateName;
  openUntil?: number;
  reason?: string;
}

export interface CircuitOptions {
  /** How long the circuit stays open before a probe is allowed (default 5 min). */
  pauseMs?: number;
  /** 429s within `windowMs` that make a following 403 count as a block (default 2). */
  rateLimitThreshold?: number;
  /** Window for counting 429s (default 10 min). */
  windowMs?: number;
  /** Called on every state change (e.g. to alert or persist). */
  onStateChange?: (state: CircuitState) => void;
}

export class CircuitBreaker {
  private readonly pauseMs: number;
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly onStateChange: ((state: CircuitState) => void) | undefined;
  private recent429: number[] = [];
  private openUntil = 0;
  private reason: string | undefined;
  private isOpen = false;
  private probeInFlight = false;

  constructor(
    opts: CircuitOptions,
    private readonly now: () => number,
  ) {
    this.pauseMs = opts.pauseMs ?? 5 * 60_000;
    this.threshold = opts.rateLimitThreshold ?? 2;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.onStateChange = opts.onStateChange;
  }

  state(): CircuitState {
    if (!this.isOpen) return { state: 'closed' };
    const name: CircuitStateName = this.now() >= this.openUntil ? 'half_open' : 'open';
    return { state: name, openUntil: this.openUntil, ...(this.reason ? { reason: this.reason } : {}) };
  }

  /** Throws AmoCircuitOpenError unless a request may go out now. Returns true when this request is the probe. */
  enter(): boolean {
    if (!this.isOpen) return false;
    const now = this.now();
    if (now < this.openUntil || this.probeInFlight) throw new AmoCircuitOpenError(this.openUntil, this.reason);
    this.probeInFlight = true;
    return true;
  }

  /** Record the HTTP outcome of a request that went out. */
  onResponse(status: number, isHtml: boolean, probe: boolean): void {
    const now = this.now();
    if (status === 429) {
      this.recent429 = this.recent429.filter((t) => now - t < this.windowMs);
      this.recent429.push(now);
      if (probe) this.open('rate limited during half-open probe');
      return;
    }
    if (status === 403) {
      const recent = this.recent429.filter((t) => now - t < this.windowMs).length;
      if (isHtml) this.open('403 HTML block page');
      else if (recent >= this.threshold) this.open(`403 after ${recent} rate-limit responses`);
      else if (probe) this.close(); // a plain permission error: the account answers normally
      return;
    }
    if (probe) this.close();
    if (status < 400) this.recent429 = [];
  }

  /** A request ended without a response (connection error, timeout, abort). */
  onNoResponse(probe: boolean): void {
    if (probe) this.probeInFlight = false; // let the next caller probe
  }

  private open(reason: string): void {
    this.isOpen = true;
    this.probeInFlight = false;
    this.openUntil = this.now() + this.pauseMs;
    this.reason = reason;
    this.recent429 = [];
    this.onStateChange?.(this.state());
  }

  private close(): void {
    this.isOpen = false;
    this.probeInFlight = false;
    this.openUntil = 0;
    this.reason = undefined;
    this.onStateChange?.({ state: 'closed' });
  }
}
