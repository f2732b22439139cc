// Sending rate per business phone number (fact sheet §6: Meta allows 80 messages/s by default and answers 130429
// above it). A sliding-window log over whole requests: a send may start only when the send `limit` places back
// has *finished* (its answer came, or it failed) at least 1 s + `marginMs` ago. Meta counts a message somewhere
// between our start and our answer, so for any two sends `limit` apart its clock sees them > 1 s apart: no
// 1-second window at the API ever holds more than `limit` sends, whatever the network or the server's queue did,
// however many callers wait at once (they are served in arrival order). Times are real start/finish times taken
// after waking (timers fire late, never early). In-process: with several processes sending for one number, give
// each a share of the rate.

export interface SendRateLimiter {
  /** Resolves when the caller may send; call the returned `done()` when the request has finished (in `finally`). */
  acquire(): Promise<() => void>;
}

export interface SendRateLimiterOptions {
  /** Sends per second (default 20). */
  perSecond?: number;
  /** Extra spacing over 1 s (default 5 ms). */
  marginMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RATE_PER_SECOND = 20;

interface Slot {
  end: number | undefined;
  finished: Promise<void>;
}

export function createSendRateLimiter(opts: SendRateLimiterOptions = {}): SendRateLimiter {
  const limit = Math.floor(opts.perSecond ?? DEFAULT_RATE_PER_SECOND);
  if (!(limit >= 1)) throw new RangeError('ratePerSecond must be ≥ 1');
  const margin = opts.marginMs ?? 5;
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Ring buffer of the last `limit` sends.
  const slots: Slot[] = [];
  let head = 0;
  let chain: Promise<unknown> = Promise.resolve();

  const turn = async (): Promise<() => void> => {
    if (slots.length === limit) {
      const oldest = slots[head]!;
      await oldest.finished;
      for (;;) {
        const wait = oldest.end! + 1000 + margin - now();
        if (wait <= 0) break;
        await sleep(Math.ceil(wait));
      }
    }
    let finish!: () => void;
    const slot: Slot = { end: undefined, finished: new Promise<void>((r) => (finish = r)) };
    if (slots.length < limit) slots.push(slot);
    else {
      slots[head] = slot;
      head = (head + 1) % limit;
    }
    let called = false;
    return () => {
      if (called) return;
      called = true;
      slot.end = now();
      finish();
    };
  };

  return {
    acquire() {
      const p = chain.then(turn);
      chain = p.catch(() => undefined);
      return p;
    },
  };
}
