// EdgeThermal (Score): keeps new Pods off boards that run hot. The node
// agent reports the SoC temperature and throttling as Node annotations
// (node-annotations.ts); a node at or under 60 °C scores 100, the score falls
// linearly to 0 at 80 °C, and a node above 80 °C or throttled scores 0. A
// node that reports no temperature scores 100.

import { MAX_NODE_SCORE, type ScorePlugin } from "../framework.ts";

export const EDGE_THERMAL = "EdgeThermal";
export const COOL_CELSIUS = 60;
export const HOT_CELSIUS = 80;

export function thermalScore(celsius: number | undefined, throttled: boolean): number {
  if (throttled) return 0;
  if (celsius === undefined || celsius <= COOL_CELSIUS) return MAX_NODE_SCORE;
  if (celsius >= HOT_CELSIUS) return 0;
  return Math.floor((MAX_NODE_SCORE * (HOT_CELSIUS - celsius)) / (HOT_CELSIUS - COOL_CELSIUS));
}

export const edgeThermal: ScorePlugin = {
  name: EDGE_THERMAL,
  score(_state, _pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) scores[i] = thermalScore(nodes[i]!.socTemperature, nodes[i]!.throttled);
  },
};
