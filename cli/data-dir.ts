// Where tug keeps its state when --data-dir is not given.

import { homedir } from "node:os";
import { join } from "node:path";

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUG_DATA_DIR) return env.TUG_DATA_DIR;
  if (process.getuid?.() === 0) return "/var/lib/tug";
  return join(homedir(), ".local", "share", "tug");
}
