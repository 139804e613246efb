// Options of Packer's `file` provisioner (reference §c.3).
import { f, type ComponentSpec, type ConfigOf } from "../../template/schema.js";

export const fileSchema = {
  source: f.string("Local path (upload) or container path (download)."),
  sources: f.strings("Several sources; destination must be a directory ending in /."),
  content: f.string("Inline content to upload (Packer ≥ 1.7.5)."),
  destination: f.string("Where to put it.").need(),
  direction: f.string("upload or download.").default("upload").choices(["upload", "download"]),
  generated: f.bool("The source is created during the build: check it at run time.").default(false),
};
export type FileConfig = ConfigOf<typeof fileSchema>;

export const fileSpec: ComponentSpec<typeof fileSchema> = {
  type: "file",
  schema: fileSchema,
  check(c) {
    const p: [string, string][] = [];
    const n = [c.source !== undefined, c.sources !== undefined, c.content !== undefined].filter(
      Boolean,
    ).length;
    if (n === 0) p.push(["", "the file provisioner needs source, sources or content"]);
    if (n > 1) p.push(["", "only one of source, sources and content may be set"]);
    if (c.sources && c.sources.length > 1 && !c.destination.endsWith("/")) {
      p.push(["destination", "with several sources the destination must be a directory ending in /"]);
    }
    if (c.content !== undefined && c.direction === "download")
      p.push(["content", "content can only be uploaded"]);
    return p;
  },
};
