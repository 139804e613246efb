// Registry server names as they appear in config.json keys, `login_server` and credential-helper
// requests. Docker writes the same registry under several spellings (`https://host/v1/`, `host`,
// `http://host:5000`); comparing hosts, not strings, is what makes `login_server` and the image
// reference agree (seed 000 failed on exactly such a spelling mismatch).

import { DOCKER_HUB, DOCKER_HUB_AUTH_KEY } from "../engine/reference.js";

const HUB_ALIASES = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/**
 * `https://host:port/v1/` → `host:port`, lower-cased, with every Docker Hub alias folded into
 * `docker.io`. An empty server means Docker Hub, as `docker login` with no argument.
 */
export function serverHost(server: string): string {
  let s = server.trim();
  if (s === "") return DOCKER_HUB;
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = s.indexOf("/");
  if (slash !== -1) s = s.slice(0, slash);
  s = s.toLowerCase();
  return HUB_ALIASES.has(s) ? DOCKER_HUB : s;
}

export function isDockerHub(hostOrServer: string): boolean {
  return serverHost(hostOrServer) === DOCKER_HUB;
}

/** The server address credential helpers and `auths` use for a registry host. */
export function serverKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_AUTH_KEY : serverHost(host);
}

export function sameRegistry(a: string, b: string): boolean {
  return serverHost(a) === serverHost(b);
}
