// `tug image import FILE.tar`: loads a docker-archive or OCI archive into this
// machine's container runtime, for boards with no registry (the agent also
// imports what is dropped into <agent data dir>/images/).

import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { RuntimeError } from "../node-agent/runtime/runtime.ts";
import { chooseRuntime, runtimeChoice } from "./agent.ts";

const HELP = `usage: tug image import FILE.tar [--runtime containerd|docker|auto] [--containerd-namespace NS]

Loads an image archive (docker save / OCI layout tar) into the local runtime.`;

export async function runImage(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      runtime: { type: "string", default: "auto" },
      "containerd-namespace": { type: "string" },
      "data-dir": { type: "string", default: "/var/lib/tug/agent" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, file, ...extra] = positionals;
  if (values.help || sub === undefined) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  if (sub !== "import") throw new TugError("BadRequest", `unknown image command "${sub}"; run 'tug image --help'`);
  if (!file || extra.length) throw new TugError("BadRequest", "usage: tug image import FILE.tar");
  if (!existsSync(file) || !statSync(file).isFile()) throw new TugError("NotFound", `${file}: no such file`);
  const runtime = await chooseRuntime({ runtime: runtimeChoice(values.runtime), containerdNamespace: values["containerd-namespace"], dataDir: values["data-dir"] }, () => undefined);
  try {
    const refs = await runtime.importImage(file);
    for (const r of refs) console.log(`imported ${r}`);
    return 0;
  } catch (e) {
    if (e instanceof RuntimeError) throw new TugError("BadRequest", `${file}: ${e.message.split("\n")[0]}`);
    throw new TugError("BadRequest", `${file}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  } finally {
    await runtime.close();
  }
}
