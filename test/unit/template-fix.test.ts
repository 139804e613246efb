import { test } from "node:test";
import assert from "node:assert/strict";
import { fixTemplate } from "../../src/template/fix.js";
import { InvalidInputError } from "../../src/template/diagnostic.js";

test("docker-tag tag → tags, merged after existing tags; login_email dropped", () => {
  const input = `{
  "_comment": "keep me",
  "builders": [{"type": "docker", "image": "x", "commit": true, "login_email": "a@b"}],
  "post-processors": [
    [
      {"type": "docker-tag", "repository": "r", "tags": ["a"], "tag": ["b", "c"]},
      {"type": "docker-push", "login": true, "login_email": "a@b"}
    ],
    {"type": "docker-tag", "tag": "1.0", "repository": "r2"},
    {"type": "docker-import", "repository": "i", "tag": "stays", "login_email": "x"},
    "docker-push"
  ]
}`;
  const { text, changes } = fixTemplate(input);
  assert.deepEqual(JSON.parse(text), {
    _comment: "keep me",
    builders: [{ type: "docker", image: "x", commit: true }],
    "post-processors": [
      [
        { type: "docker-tag", repository: "r", tags: ["a", "b", "c"] },
        { type: "docker-push", login: true },
      ],
      { type: "docker-tag", tags: ["1.0"], repository: "r2" },
      { type: "docker-import", repository: "i", tag: "stays" },
      "docker-push",
    ],
  });
  assert.deepEqual(changes, [
    'builders[0] (docker): removed the obsolete "login_email"',
    'post-processors[0][0] (docker-tag): "tag" merged into "tags"',
    'post-processors[0][1] (docker-push): removed the obsolete "login_email"',
    'post-processors[1] (docker-tag): "tag" renamed to "tags"',
    'post-processors[2] (docker-import): removed the obsolete "login_email"',
  ]);
});

test("output is 2-space JSON, keys in their original order, numbers as written", () => {
  const { text, changes } = fixTemplate('{"z": 1.0, "a": {"y": [], "x": {}}, "1": "one", "s": "\\u00e9\\n"}');
  assert.equal(
    text,
    '{\n  "z": 1.0,\n  "a": {\n    "y": [],\n    "x": {}\n  },\n  "1": "one",\n  "s": "é\\n"\n}\n',
  );
  assert.deepEqual(changes, []);
});

test("fixing twice changes nothing more", () => {
  const once = fixTemplate(
    '{"post-processors": [{"type": "docker-tag", "repository": "r", "tag": "1"}]}',
  ).text;
  const twice = fixTemplate(once);
  assert.equal(twice.text, once);
  assert.deepEqual(twice.changes, []);
});

test("invalid JSON is reported with its position", () => {
  assert.throws(
    () => fixTemplate('{"a": [1,]}', "x.json"),
    (e: unknown) =>
      e instanceof InvalidInputError && /^x\.json:1:9: error: invalid JSON: trailing comma/.test(e.message),
  );
});
