import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineError } from "../../src/engine/errors.js";
import {
  DEFAULT_PUSH_RETRY,
  exponentialSchedule,
  formatDelay,
  RetryFailure,
  withRetry,
  type RetryNotice,
} from "../../src/post-processors/push-retry.js";

/** An injected clock: sleeping advances it instantly and records the delay. */
function fakeClock(): { now: () => number; sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

const refused = (): EngineError =>
  new EngineError("stream", "push r/app:1: dial tcp 127.0.0.1:5000: connect: connection refused");
const unauthorized = (): EngineError =>
  new EngineError("stream", "push r/app:1: unauthorized: authentication required");

describe("retry schedule", () => {
  it("defaults to 5 attempts waiting 1s, 2s, 4s, 8s", () => {
    assert.equal(DEFAULT_PUSH_RETRY.attempts, 5);
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => DEFAULT_PUSH_RETRY.delayMs(n)),
      [1000, 2000, 4000, 8000],
    );
  });
  it("caps the delay", () => {
    const s = exponentialSchedule(10, 500, 3000);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((n) => s.delayMs(n)),
      [500, 1000, 2000, 3000, 3000, 3000],
    );
  });
  it("formats delays", () => {
    assert.deepEqual([250, 1000, 1500, 8000].map(formatDelay), ["250ms", "1s", "1.5s", "8s"]);
  });
});

describe("withRetry", () => {
  it("retries transient failures with backoff and reports each attempt", async () => {
    const clock = fakeClock();
    const notices: RetryNotice[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw refused();
        return "sha256:ok";
      },
      { sleep: clock.sleep, onRetry: (n) => notices.push(n) },
    );
    assert.equal(result, "sha256:ok");
    assert.equal(calls, 3);
    assert.deepEqual(clock.sleeps, [1000, 2000]);
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.attempts, n.failure.reason, n.delayMs]),
      [
        [1, 5, "connection refused", 1000],
        [2, 5, "connection refused", 2000],
      ],
    );
  });

  it("fails at once on a permanent failure", async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw unauthorized();
        },
        { sleep: clock.sleep },
      ),
      (e: unknown) =>
        e instanceof RetryFailure &&
        e.attemptsMade === 1 &&
        !e.exhausted &&
        e.failure.category === "unauthorized",
    );
    assert.equal(calls, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  it("gives up after the bounded attempts: 15 s of waiting by default", async () => {
    const clock = fakeClock();
    await assert.rejects(
      withRetry(
        async () => {
          throw refused();
        },
        { sleep: clock.sleep },
      ),
      (e: unknown) =>
        e instanceof RetryFailure && e.attemptsMade === 5 && e.exhausted && e.cause instanceof EngineError,
    );
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 8000]);
    assert.equal(clock.now(), 15_000);
  });

  it("takes an injected schedule", async () => {
    const clock = fakeClock();
    await assert.rejects(
      withRetry(
        async () => {
          throw refused();
        },
        { sleep: clock.sleep, schedule: exponentialSchedule(3, 10, 15) },
      ),
      RetryFailure,
    );
    assert.deepEqual(clock.sleeps, [10, 15]);
  });

  it("stops when cancelled, without classifying", async () => {
    const controller = new AbortController();
    const error = refused();
    await assert.rejects(
      withRetry(
        async () => {
          controller.abort();
          throw error;
        },
        { signal: controller.signal },
      ),
      (e: unknown) => e === error,
    );
  });

  it("real sleep is cancellable", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const p = withRetry(
      async () => {
        throw refused();
      },
      { signal: controller.signal, schedule: exponentialSchedule(3, 10_000, 10_000) },
    );
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(p, (e: unknown) => (e as Error).name === "AbortError");
    assert.ok(Date.now() - started < 2000);
  });
});
