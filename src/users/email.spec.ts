import { isAcceptableEmail, normalizeEmail } from './email';

describe('isAcceptableEmail (the API and `npm run user:admin` alike)', () => {
  it.each([
    'wanto10@gmail.com',
    'first.last+tag@sub.example.co.id',
    "o'brien@example.org",
    'user@bücher.de',
    'user@xn--bcher-kva.de',
    'user@example.xn--p1ai',
    `${'a'.repeat(64)}@example.com`,
  ])('accepts %s', (email) => {
    expect(isAcceptableEmail(normalizeEmail(email))).toBe(true);
  });

  it.each([
    ['a one-letter top-level domain', 'admin@example.c'],
    ['a numeric top-level domain', 'user@example.123'],
    ['an IP literal', 'user@[127.0.0.1]'],
    ['an IPv4 host', 'user@127.0.0.1'],
    ['a single-label host', 'user@localhost'],
    ['a quoted local part', '"john doe"@example.com'],
    ['a space', 'john doe@example.com'],
    ['a control character', 'john\u0001@example.com'],
    ['NUL in the domain', 'john@exa\u0000mple.com'],
    ['a non-ASCII local part', 'jöhn@example.com'],
    ['two dots', 'john..doe@example.com'],
    ['a leading dot', '.john@example.com'],
    ['a hyphen at a label edge', 'john@-example.com'],
    ['an empty label', 'john@example..com'],
    ['a trailing dot', 'john@example.com.'],
    ['no local part', '@example.com'],
    ['no @', 'example.com'],
    ['a local part over 64', `${'a'.repeat(65)}@example.com`],
    ['over 254 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
    ['a lone surrogate', 'john@exa\ud800mple.com'],
  ])('refuses %s', (_, email) => {
    expect(isAcceptableEmail(normalizeEmail(email))).toBe(false);
  });
});
