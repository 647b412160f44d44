// Types for importing systeminformation's system module on its own (its
// package only declares the index, which loads every module).

declare module "systeminformation/lib/system.js" {
  import type { Systeminformation } from "systeminformation";
  export function system(): Promise<Systeminformation.SystemData>;
}
