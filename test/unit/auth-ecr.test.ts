import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as EcrSdk from "@aws-sdk/client-ecr";
import { decodeEcrToken, EcrLoginError, getEcrToken, parseEcrHost } from "../../src/auth/ecr.js";
import { startEcrStandin, type EcrStandin } from "../harness/ecr-standin.js";

describe("parseEcrHost", () => {
  const table: [string, { account: string; region: string } | undefined][] = [
    [
      "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com",
      { account: "123456789012", region: "ap-northeast-1" },
    ],
    [
      "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
      { account: "123456789012", region: "us-east-1" },
    ],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", { account: "123456789012", region: "cn-north-1" }],
    [
      "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
      { account: "123456789012", region: "us-gov-west-1" },
    ],
    [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app",
      { account: "123456789012", region: "eu-west-1" },
    ],
    ["1234.dkr.ecr.eu-west-1.amazonaws.com", undefined],
    ["127.0.0.1:5000", undefined],
    ["public.ecr.aws", undefined],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", undefined],
  ];
  for (const [input, want] of table) {
    it(input, () => {
      const got = parseEcrHost(input);
      assert.deepEqual(got && { account: got.account, region: got.region }, want);
    });
  }
});

describe("decodeEcrToken", () => {
  it("decodes AWS:<password>, keeping colons in the password", () => {
    assert.deepEqual(decodeEcrToken(Buffer.from("AWS:a:b:c").toString("base64")), {
      username: "AWS",
      password: "a:b:c",
    });
    assert.throws(() => decodeEcrToken(Buffer.from("nocolon").toString("base64")), EcrLoginError);
  });
});

describe("getEcrToken against the ECR stand-in", () => {
  let standin: EcrStandin;
  before(async () => {
    standin = await startEcrStandin({
      password: "pw:ecr-token",
      proxyEndpoint: "https://127.0.0.1:1",
      accessKeyId: "AKIAKILNUNIT",
    });
  });
  after(() => standin.close());

  it("signs with the explicit keys, takes the region from the host, and decodes the token", async () => {
    const token = await getEcrToken("123456789012.dkr.ecr.eu-central-1.amazonaws.com", {
      env: { AWS_ENDPOINT_URL_ECR: standin.endpoint },
      accessKey: "AKIAKILNUNIT",
      secretKey: "unit-secret",
    });
    assert.equal(token.username, "AWS");
    assert.equal(token.password, "pw:ecr-token");
    assert.equal(token.proxyEndpoint, "https://127.0.0.1:1");
    assert.ok(token.expiresAt instanceof Date);
    const call = standin.calls.at(-1);
    assert.equal(call?.region, "eu-central-1");
    assert.equal(call?.service, "ecr");
    assert.equal(call?.accessKeyId, "AKIAKILNUNIT");
  });

  it("uses AWS_REGION for hosts that name no region", async () => {
    await getEcrToken("127.0.0.1:5000", {
      env: { AWS_ENDPOINT_URL_ECR: standin.endpoint, AWS_REGION: "sa-east-1" },
      accessKey: "AKIAKILNUNIT",
      secretKey: "unit-secret",
    });
    assert.equal(standin.calls.at(-1)?.region, "sa-east-1");
  });

  it("explains a missing region", async () => {
    await assert.rejects(
      getEcrToken("127.0.0.1:5000", {
        env: { AWS_ENDPOINT_URL_ECR: standin.endpoint },
        accessKey: "AKIAKILNUNIT",
        secretKey: "s",
      }),
      /not an ECR host name.*set AWS_REGION/,
    );
  });

  it("reports AWS's refusal with the registry and region", async () => {
    await assert.rejects(
      getEcrToken("123456789012.dkr.ecr.eu-west-1.amazonaws.com", {
        env: { AWS_ENDPOINT_URL_ECR: standin.endpoint },
        accessKey: "AKIAWRONGKEY",
        secretKey: "s",
      }),
      (e: unknown) =>
        e instanceof EcrLoginError &&
        e.message.includes("123456789012.dkr.ecr.eu-west-1.amazonaws.com (region eu-west-1)") &&
        e.message.includes("UnrecognizedClientException"),
    );
  });

  it("wants both keys or neither", async () => {
    await assert.rejects(
      getEcrToken("123456789012.dkr.ecr.eu-west-1.amazonaws.com", { env: {}, accessKey: "AKIA" }),
      /together/,
    );
  });
});

describe("getEcrToken client configuration", () => {
  /** A stand-in SDK module that records the client config it was given. */
  function fakeSdk(configs: unknown[]): () => Promise<typeof EcrSdk> {
    class ECRClient {
      constructor(config: unknown) {
        configs.push(config);
      }
      async send(): Promise<unknown> {
        return { authorizationData: [{ authorizationToken: Buffer.from("AWS:pw-fake").toString("base64") }] };
      }
      destroy(): void {}
    }
    class GetAuthorizationTokenCommand {
      constructor(readonly input: unknown) {}
    }
    return async () => ({ ECRClient, GetAuthorizationTokenCommand }) as unknown as typeof EcrSdk;
  }

  it("passes aws_profile as the client profile and the session token with the keys", async () => {
    const configs: unknown[] = [];
    await getEcrToken("123456789012.dkr.ecr.eu-west-1.amazonaws.com", {
      env: {},
      profile: "ci",
      loadSdk: fakeSdk(configs),
    });
    await getEcrToken("123456789012.dkr.ecr.eu-west-1.amazonaws.com", {
      env: {},
      accessKey: "AKIA1",
      secretKey: "s1",
      sessionToken: "t1",
      loadSdk: fakeSdk(configs),
    });
    await getEcrToken("123456789012.dkr.ecr.eu-west-1.amazonaws.com", { env: {}, loadSdk: fakeSdk(configs) });
    assert.deepEqual(configs, [
      { region: "eu-west-1", profile: "ci" },
      {
        region: "eu-west-1",
        credentials: { accessKeyId: "AKIA1", secretAccessKey: "s1", sessionToken: "t1" },
      },
      { region: "eu-west-1" },
    ]);
  });
});
