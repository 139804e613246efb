// THE ONE STAND-IN of the registry tests: a local HTTP endpoint that answers Amazon ECR's
// GetAuthorizationToken (AWS JSON 1.1 protocol) with a token for a real htpasswd registry. kiln's
// AWS SDK client reaches it through AWS_ENDPOINT_URL_ECR; the registry the token opens is the real
// docker-registry from registry.ts. It checks that requests are SigV4-signed with the expected
// access key and records what it saw (never the secret key, which SigV4 does not send).
import http from "node:http";
import type { AddressInfo } from "node:net";

export const ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

export interface EcrStandinOptions {
  /** The registry password the token carries (user is always `AWS`). */
  password: string;
  /** `https://host:port` reported as proxyEndpoint. */
  proxyEndpoint: string;
  /** Only requests signed with this access key id get a token. */
  accessKeyId: string;
}

export interface EcrCall {
  target: string | undefined;
  accessKeyId: string | undefined;
  region: string | undefined;
  service: string | undefined;
  /** The X-Amz-Security-Token header: the session token of temporary credentials. */
  sessionToken: string | undefined;
  body: string;
}

export interface EcrStandin {
  /** `http://127.0.0.1:<port>`: the value for AWS_ENDPOINT_URL_ECR. */
  readonly endpoint: string;
  readonly calls: EcrCall[];
  close(): Promise<void>;
}

export async function startEcrStandin(options: EcrStandinOptions): Promise<EcrStandin> {
  const calls: EcrCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const auth = req.headers.authorization ?? "";
      // AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…
      const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
      const target = header(req.headers["x-amz-target"]);
      calls.push({
        target,
        accessKeyId: scope?.[1],
        region: scope?.[2],
        service: scope?.[3],
        sessionToken: header(req.headers["x-amz-security-token"]),
        body,
      });
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { "Content-Type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (!auth.startsWith("AWS4-HMAC-SHA256 ") || !scope) {
        reply(400, {
          __type: "MissingAuthenticationTokenException",
          message: "Missing Authentication Token",
        });
      } else if (scope[1] !== options.accessKeyId) {
        reply(400, {
          __type: "UnrecognizedClientException",
          message: "The security token included in the request is invalid.",
        });
      } else if (target !== ECR_TARGET) {
        reply(400, { __type: "UnknownOperationException", message: `stand-in only answers ${ECR_TARGET}` });
      } else {
        reply(200, {
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${options.password}`).toString("base64"),
              expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
              proxyEndpoint: options.proxyEndpoint,
            },
          ],
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
