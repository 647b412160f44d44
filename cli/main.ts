#!/usr/bin/env bun
// The one entry point of tug: `tug server`, and later the agent and CLI verbs.
// A user mistake prints one line and exits non-zero; never a stack trace.

import { TugError } from "../core/errors.ts";
import { TUG_VERSION } from "./version.ts";

const USAGE = `usage: tug <command> [flags]

commands:
  server     run the API server, store, controllers and this machine's agent (npm start)
  join       join a board to a cluster and run its agent (tug join https://SERVER:6443 --token TUG10…)
  agent      run this board's node agent (after a join)
  token      token create|list|delete: bootstrap tokens for joining boards
  image      image import FILE.tar: load an image archive into the local runtime
  version    print the version

run 'tug <command> --help' for the flags of a command`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    // Each face loads only its own code: an agent on a small board never loads the server.
    case "server":
      return (await import("./server.ts")).runServer(rest);
    case "agent":
      return (await import("./agent.ts")).runAgent(rest);
    case "join":
      return (await import("./agent.ts")).runAgent(rest, { join: true });
    case "token":
      return (await import("./token.ts")).runToken(rest);
    case "image":
      return (await import("./image.ts")).runImage(rest);
    case "version":
    case "--version":
      console.log(`tug ${TUG_VERSION}`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return verb === undefined ? 1 : 0;
    default:
      throw new TugError("BadRequest", `unknown command "${verb}"; run 'tug --help'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    const message = err instanceof TugError || (err instanceof Error && err.name === "TypeError" && /option|argument/i.test(err.message)) ? err.message : undefined;
    if (message) {
      console.error(`error: ${message}`);
    } else {
      console.error(err);
    }
    process.exit(1);
  },
);
