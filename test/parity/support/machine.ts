// Packer's `-machine-readable` format: `<unix time>,<target>,<type>,<data>…`, commas in data written
// as `%!(PACKER_COMMA)`, newlines as a literal `\n`, carriage returns as `\r`.

export interface MachineLine {
  timestamp: string;
  target: string;
  type: string;
  data: string[];
  raw: string;
}

export function unescapeMachine(field: string): string {
  return field.replaceAll("%!(PACKER_COMMA)", ",").replaceAll("\\n", "\n").replaceAll("\\r", "\r");
}

/** Parses stdout; lines that are not machine-readable are returned separately. */
export function parseMachine(stdout: string): { lines: MachineLine[]; other: string[] } {
  const lines: MachineLine[] = [];
  const other: string[] = [];
  for (const raw of stdout.split("\n")) {
    if (raw === "") continue;
    const m = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/.exec(raw);
    if (m === null) {
      other.push(raw);
      continue;
    }
    lines.push({
      timestamp: m[1]!,
      target: m[2]!,
      type: m[3]!,
      data: m[4] === undefined ? [] : m[4].split(",").map(unescapeMachine),
      raw,
    });
  }
  return { lines, other };
}

export interface ArtifactLine {
  builderId?: string;
  id?: string;
  string?: string;
  filesCount?: number;
  files: string[];
  nil?: boolean;
  ended: boolean;
}

export interface BuildOutcome {
  artifactCount?: number;
  artifacts: ArtifactLine[];
  /** `<target>,error,<message>` */
  error?: string;
}

/** Per build (target): the artifacts and the error, from the machine-readable lines. */
export function buildOutcomes(lines: MachineLine[]): Map<string, BuildOutcome> {
  const builds = new Map<string, BuildOutcome>();
  const get = (target: string): BuildOutcome => {
    let b = builds.get(target);
    if (b === undefined) {
      b = { artifacts: [] };
      builds.set(target, b);
    }
    return b;
  };
  for (const line of lines) {
    if (line.target === "") continue;
    if (line.type === "artifact-count") get(line.target).artifactCount = Number(line.data[0]);
    else if (line.type === "error") get(line.target).error = line.data.join(",");
    else if (line.type === "artifact") {
      const b = get(line.target);
      const index = Number(line.data[0]);
      const a = (b.artifacts[index] ??= { files: [], ended: false });
      const [, key, ...rest] = line.data;
      const value = rest.join(",");
      switch (key) {
        case "builder-id":
          a.builderId = value;
          break;
        case "id":
          a.id = value;
          break;
        case "string":
          a.string = value;
          break;
        case "files-count":
          a.filesCount = Number(value);
          break;
        case "file":
          a.files[Number(rest[0])] = rest.slice(1).join(",");
          break;
        case "nil":
          a.nil = true;
          break;
        case "end":
          a.ended = true;
          break;
      }
    }
  }
  return builds;
}
