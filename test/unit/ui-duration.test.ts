import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, formatElapsed } from "../../src/ui/duration.js";

const US = 1000n;
const MS = 1000n * US;
const S = 1000n * MS;
const MIN = 60n * S;
const H = 60n * MIN;
const D = 24n * H;

describe("formatDuration (durafmt, first two units)", () => {
  const table: [bigint, string][] = [
    [835n * MS + 305n * US + 999n, "835 milliseconds 305 microseconds"], // §g; nanoseconds dropped
    [713n * MS + 563n * US, "713 milliseconds 563 microseconds"],
    [5n * MIN + 1n * S + 3n * MS, "5 minutes 1 second"], // §g failure transcript
    [5n * MIN + 797n * MS, "5 minutes 797 milliseconds"], // a zero unit is skipped, not counted
    [1n * MIN, "1 minute"],
    [2n * H + 3n * MIN + 4n * S, "2 hours 3 minutes"],
    [1n * H + 1n * S, "1 hour 1 second"],
    [1n * D + 1n * H, "1 day 1 hour"],
    [8n * D, "1 week 1 day"],
    [365n * D + 14n * D, "1 year 2 weeks"],
    [364n * D, "52 weeks"],
    [1n * S, "1 second"],
    [1n * MS, "1 millisecond"],
    [1n * US, "1 microsecond"],
    [2n * US, "2 microseconds"],
    [999n, "0 seconds"],
    [0n, "0 seconds"],
    [-(3n * S + 2n * MS), "-3 seconds 2 milliseconds"],
  ];
  for (const [ns, expected] of table) {
    it(`${ns} ns → ${expected}`, () => assert.equal(formatDuration(ns), expected));
  }

  it("can show more units on request", () => {
    assert.equal(formatDuration(1n * H + 2n * MIN + 3n * S, 3), "1 hour 2 minutes 3 seconds");
  });

  it("formats an hrtime delta", () => {
    assert.equal(formatElapsed(10n * S, 10n * S + 1500n * MS), "1 second 500 milliseconds");
  });
});
