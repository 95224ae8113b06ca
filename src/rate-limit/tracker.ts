import type { ExecutionContext } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';

const IPV4 = /^(?:::ffff:)?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * The throttler's tracker, the client address as its own `normalizeIp` gives it (an IPv6 address
 * by its /64, an IPv4-mapped one as the IPv4 address), with IPv4 answered without parsing: the
 * service listens on `::`, so every IPv4 client arrives as `::ffff:a.b.c.d`, and the library's
 * parse of that was ~10 µs of every limited request under load (issue 12). Anything else, and
 * any dotted form that is not a valid address, goes to the library.
 */
export function clientTracker(ip: string | undefined): string | undefined {
  const v4 = ip === undefined ? null : IPV4.exec(ip);
  if (v4 && v4[1].split('.').every((octet) => Number(octet) <= 255 && (octet === '0' || !octet.startsWith('0')))) return v4[1];
  return normalizeIp(ip as string);
}

/**
 * The in-memory storage's key: route and address in plain text (it never leaves the process). The
 * library's default hashes it with SHA-256 on every request; the Redis storage keeps that default,
 * so instances of two versions behind one balancer still count into the same keys.
 */
export function memoryThrottleKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
  return `${context.getClass().name}-${context.getHandler().name}-${throttlerName}-${tracker}`;
}
