// Bounded retries for registry operations: transient failures (network, 5xx) are retried with
// exponential backoff, each attempt reported with its cause; anything else fails at once. A
// whole-push retry is idempotent: layers already on the registry are skipped by the daemon.
import { setTimeout as delay } from "node:timers/promises";
import { classifyRegistryFailure, type Classified } from "../auth/classify.js";

export interface RetrySchedule {
  /** Total attempts, the first included. */
  attempts: number;
  /** Wait before attempt `n + 1`, after `n` failures (n ≥ 1). */
  delayMs(failures: number): number;
}

/** initial, 2×initial, 4×initial… capped at maxMs. */
export function exponentialSchedule(attempts: number, initialMs: number, maxMs: number): RetrySchedule {
  return { attempts, delayMs: (failures) => Math.min(maxMs, initialMs * 2 ** (failures - 1)) };
}

/** 5 attempts, waiting 1s, 2s, 4s, 8s: about 15 s of outage is ridden out. */
export const DEFAULT_PUSH_RETRY: RetrySchedule = exponentialSchedule(5, 1000, 8000);

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal ? { signal } : undefined);
};

export interface RetryNotice {
  attempt: number;
  attempts: number;
  failure: Classified;
  delayMs: number;
}

/** Thrown when an operation failed for good: permanently, or transiently on every attempt. */
export class RetryFailure extends Error {
  override readonly name = "RetryFailure";
  constructor(
    readonly failure: Classified,
    readonly attemptsMade: number,
    readonly exhausted: boolean,
    options: { cause: unknown },
  ) {
    super(failure.message, options);
  }
}

export interface RetryOptions {
  schedule?: RetrySchedule;
  sleep?: Sleep;
  signal?: AbortSignal;
  classify?: (error: unknown) => Classified;
  onRetry?: (notice: RetryNotice) => void;
}

export async function withRetry<T>(op: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const schedule = opts.schedule ?? DEFAULT_PUSH_RETRY;
  const sleep = opts.sleep ?? realSleep;
  const classify = opts.classify ?? classifyRegistryFailure;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      const failure = classify(error);
      if (!failure.retry || attempt >= schedule.attempts) {
        throw new RetryFailure(failure, attempt, failure.retry, { cause: error });
      }
      const delayMs = schedule.delayMs(attempt);
      opts.onRetry?.({ attempt, attempts: schedule.attempts, failure, delayMs });
      await sleep(delayMs, opts.signal);
    }
  }
}

/** `1s`, `500ms`, `1.5s` */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
