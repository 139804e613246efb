import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podmanChanges, podmanEntrypointResetsCmd } from "../../src/engine/podman-changes.js";

// Each left side is read by Docker as the right side; Podman 4.3 reads only the right side so.
describe("changes rewritten for Podman's one-item-per-line parser", () => {
  const cases: [string, string[]][] = [
    ["EXPOSE 8080 53/udp", ["EXPOSE 8080", "EXPOSE 53/udp"]],
    ["ENV A=1 B=2", ["ENV A=1", "ENV B=2"]],
    ['ENV GREETING="hello world" X=y', ["ENV GREETING=hello world", "ENV X=y"]],
    ["ENV LANG C.UTF-8", ["ENV LANG=C.UTF-8"]],
    ["ENV MSG say it  twice", ["ENV MSG=say it  twice"]],
    ['LABEL a=1 "b c"="d e"', ["LABEL a=1", 'LABEL "b c"="d e"']],
    ["label built-by=kiln", ["LABEL built-by=kiln"]],
    ['CMD ["nginx", "-g", "daemon off;"]', ['CMD ["nginx", "-g", "daemon off;"]']],
    ["WORKDIR /srv", ["WORKDIR /srv"]],
    ['ENV BROKEN="unterminated', ['ENV BROKEN="unterminated']],
  ];
  for (const [line, expected] of cases) {
    it(line, () => assert.deepEqual(podmanChanges([line]), expected));
  }
});

describe("an ENTRYPOINT in changes clears Cmd on Podman too (as Docker's Dockerfile rule does)", () => {
  const cases: [string[], string[]][] = [
    [['ENTRYPOINT ["/app"]'], ["CMD []"]],
    [["entrypoint /app"], ["CMD []"]],
    [['ENTRYPOINT ["/app"]', 'CMD ["--help"]'], []],
    [['CMD ["x"]', 'ENTRYPOINT ["/app"]'], []],
    [['CMD ["x"]'], []],
    [["ENV A=1"], []],
    [[], []],
  ];
  for (const [changes, expected] of cases) {
    it(JSON.stringify(changes), () => assert.deepEqual(podmanEntrypointResetsCmd(changes), expected));
  }
});
