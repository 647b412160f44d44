// What the node agent reports about a board as Node annotations, beyond the
// Kubernetes status fields: the SoC temperature and whether the SoC is
// throttled. The scheduler reads them (EdgeThermal); the agent sets them.

/** Degrees Celsius as a decimal number, e.g. "63.5". */
export const SOC_TEMPERATURE_ANNOTATION = "tug.io/soc-temperature";
/** "true" while the SoC is throttled (under-voltage or over-temperature), else "false". */
export const THROTTLED_ANNOTATION = "tug.io/throttled";

export interface ThermalReading {
  /** Undefined when the node reports no (or no valid) temperature. */
  celsius: number | undefined;
  throttled: boolean;
}

export function thermalReading(annotations: Readonly<Record<string, string>> | undefined): ThermalReading {
  const raw = annotations?.[SOC_TEMPERATURE_ANNOTATION]?.trim();
  const celsius = raw ? Number(raw) : NaN;
  return { celsius: Number.isFinite(celsius) ? celsius : undefined, throttled: annotations?.[THROTTLED_ANNOTATION] === "true" };
}
