// Sending rate per business phone number (fact sheet §6: Meta allows 80 messages/s by default and answers 130429
// above it). A sliding-window log: a send may start only when the send `limit` places back started at least
// 1 s + `marginMs` ago, measured with the real start times after waking (timers fire late, never early), so no
// 1-second window ever holds more than `limit` sends, however many callers wait at once. The margin absorbs the
// difference in transit time between two requests (a new connection vs a kept-alive one). Callers are served in
// arrival order. In-process: with several processes sending for one number, give each a share of the rate.

export interface SendRateLimiter {
  /** Resolves when the caller may send (its start time is counted from then). Returns the wait in ms. */
  acquire(): Promise<number>;
}

export interface SendRateLimiterOptions {
  /** Sends per second (default 20). */
  perSecond?: number;
  /** Extra spacing over 1 s between a send and the one `perSecond` later (default 50 ms). */
  marginMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RATE_PER_SECOND = 20;

export function createSendRateLimiter(opts: SendRateLimiterOptions = {}): SendRateLimiter {
  const limit = Math.floor(opts.perSecond ?? DEFAULT_RATE_PER_SECOND);
  if (!(limit >= 1)) throw new RangeError('ratePerSecond must be ≥ 1');
  const margin = opts.marginMs ?? 50;
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Ring buffer of the last `limit` start times.
  const starts: number[] = [];
  let head = 0;
  let chain: Promise<unknown> = Promise.resolve();

  const turn = async (): Promise<number> => {
    const asked = now();
    for (;;) {
      if (starts.length < limit) break;
      const wait = starts[head]! + 1000 + margin - now();
      if (wait <= 0) break;
      await sleep(Math.ceil(wait));
    }
    const t = now();
    if (starts.length < limit) starts.push(t);
    else {
      starts[head] = t;
      head = (head + 1) % limit;
    }
    return t - asked;
  };

  return {
    acquire() {
      const p = chain.then(turn);
      chain = p.catch(() => undefined);
      return p;
    },
  };
}
