// Packer's `file` provisioner: upload (files, directories with the trailing-slash rules, inline
// content) and download, through the Communicator.
import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import { BuildError } from "../../core/errors.js";
import type { FileConfig } from "./schema.js";

export class FileProvisioner implements Provisioner {
  constructor(private readonly c: FileConfig) {}

  async provision(ctx: ProvisionContext): Promise<void> {
    const c = this.c;
    if (c.content !== undefined) {
      ctx.ui.say(`Uploading content => ${c.destination}`);
      await ctx.comm.uploadData(c.destination, c.content, { signal: ctx.signal });
      return;
    }
    const sources = c.sources ?? (c.source !== undefined ? [c.source] : []);
    for (const src of sources) {
      if (c.direction === "download") {
        ctx.ui.say(`Downloading ${src} => ${c.destination}`);
        await ctx.comm.downloadPath(src, c.destination, ctx.signal);
        continue;
      }
      const local = isAbsolute(src) ? src : resolve(ctx.cwd, src);
      const st = await stat(local).catch(() => undefined);
      if (!st) {
        throw new BuildError(
          `Bad source '${src}': no such file or directory${c.generated ? " (generated: it was not created by an earlier step)" : ""}`,
        );
      }
      ctx.ui.say(`Uploading ${src} => ${c.destination}`);
      // Keep the user's trailing slash: it selects "contents of" for directories.
      await ctx.comm.uploadPath(src.endsWith("/") ? local + "/" : local, c.destination, ctx.signal);
    }
  }
}

export function createFileProvisioner(config: Record<string, unknown>): Provisioner {
  return new FileProvisioner(config as unknown as FileConfig);
}
