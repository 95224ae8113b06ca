const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "30s", "15m", "24h", "30d" or a plain number of seconds → seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * (match[2] ? UNITS[match[2]] : 1);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}
