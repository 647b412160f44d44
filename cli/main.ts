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
  flash      prepare a Raspberry Pi OS image or SD card to join on first boot (tug flash --help)
  version    print the version

resource commands (kubectl-compatible):
  apply      apply -f FILE|DIR|-: create or update objects from YAML/JSON
  get        get KIND [NAME] [-n NS|-A] [-l SEL] [-o wide|yaml|json|name] [-w]
  describe   describe KIND NAME: a readable summary and the object's events
  delete     delete -f FILE | KIND NAME...
  logs       logs POD [-c C] [-f] [--tail N]
  scale      scale KIND/NAME --replicas N
  rollout    rollout status|history|undo|restart deploy/NAME
  top        top nodes|pods
  cordon     cordon NODE (uncordon NODE, drain NODE)
  events     events [-n NS|-A]

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
    case "flash":
      return (await import("./flash.ts")).runFlash(rest);
    case "apply":
      return (await import("./apply.ts")).runApply(rest);
    case "get":
      return (await import("./get.ts")).runGet(rest);
    case "describe":
      return (await import("./describe.ts")).runDescribe(rest);
    case "delete":
      return (await import("./delete.ts")).runDelete(rest);
    case "logs":
      return (await import("./logs.ts")).runLogs(rest);
    case "scale":
      return (await import("./scale.ts")).runScale(rest);
    case "rollout":
      return (await import("./rollout.ts")).runRollout(rest);
    case "top":
      return (await import("./top.ts")).runTop(rest);
    case "cordon":
    case "uncordon":
    case "drain":
      return (await import("./cordon.ts")).runCordon(rest, verb);
    case "events":
      return (await import("./events.ts")).runEvents(rest);
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
