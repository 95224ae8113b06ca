import { normalizeIp } from '@nestjs/throttler';
import fc from 'fast-check';
import type { ExecutionContext } from '@nestjs/common';
import { clientTracker, memoryThrottleKey } from './tracker';

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 999 }).map((n) => `0${n}`),
  fc.constant('256'),
);
const dotted = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
const mappedPrefix = fc.constantFrom('', '::ffff:', '::FFFF:', '::ffff:0:', '0:0:0:0:0:ffff:');

describe('the throttler tracker', () => {
  it('is the library’s normalizeIp for IPv4, IPv4-mapped, IPv6 and malformed addresses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(mappedPrefix, dotted).map(([p, d]) => p + d),
          fc.ipV4(),
          fc.ipV6(),
          fc.string(),
        ),
        (ip) => {
          expect(clientTracker(ip)).toBe(normalizeIp(ip));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('gives an IPv4 client the same tracker whether it arrives mapped into IPv6 or not', () => {
    expect(clientTracker('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientTracker('203.0.113.7')).toBe('203.0.113.7');
    expect(clientTracker('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
  });

  it('keys the in-memory storage by route, throttler and address', () => {
    const context = (handler: string) =>
      ({ getClass: () => ({ name: 'AuthController' }), getHandler: () => ({ name: handler }) }) as unknown as ExecutionContext;
    expect(memoryThrottleKey(context('refresh'), '203.0.113.7', 'default')).toBe('AuthController-refresh-default-203.0.113.7');
    expect(memoryThrottleKey(context('login'), '203.0.113.7', 'default')).not.toBe(
      memoryThrottleKey(context('refresh'), '203.0.113.7', 'default'),
    );
  });
});
