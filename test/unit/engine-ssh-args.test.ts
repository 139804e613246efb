import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sshArgs } from "../../src/engine/ssh.js";

describe("the ssh command line for DOCKER_HOST=ssh://", () => {
  it("is the docker CLI's (measured: docker 28 runs `ssh -o ConnectTimeout=30 -T -l user -p port -- host docker system dial-stdio`) plus BatchMode", () => {
    assert.deepEqual(sshArgs({ hostname: "build", user: "me", port: 2222 }), [
      "-o", "ConnectTimeout=30", "-o", "BatchMode=yes", "-T", "-l", "me", "-p", "2222",
      "--", "build", "docker", "system", "dial-stdio",
    ]); // prettier-ignore
  });

  it("leaves user and port to the ssh config when the address has none", () => {
    assert.deepEqual(sshArgs({ hostname: "alias" }).slice(5), [
      "--",
      "alias",
      "docker",
      "system",
      "dial-stdio",
    ]);
  });

  it("passes a socket path from the address to the remote docker CLI", () => {
    assert.deepEqual(sshArgs({ hostname: "h", socketPath: "/run/podman/podman.sock" }).slice(-5), [
      "docker", "--host", "unix:///run/podman/podman.sock", "system", "dial-stdio",
    ]); // prettier-ignore
  });

  it("a host that looks like an option cannot become one (`--` comes first)", () => {
    const args = sshArgs({ hostname: "-oProxyCommand=evil" });
    assert.ok(args.indexOf("--") < args.indexOf("-oProxyCommand=evil"));
  });
});
