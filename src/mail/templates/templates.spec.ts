import { describeDuration, renderMail } from './index';

describe('mail templates', () => {
  it('renders the activation mail in both languages with the link in text and HTML', () => {
    const link = 'http://localhost:3000/api/users/activate/abc';
    const id = renderMail('activation', 'id', { name: 'Wanto', link, ttl: '24 jam' });
    expect(id.subject).toBe('Aktivasi akun Alat Berat anda');
    expect(id.text).toContain('Halo Wanto,');
    expect(id.text).toContain(link);
    expect(id.html).toContain(`href="${link}"`);
    const en = renderMail('activation', 'en', { name: 'Wanto', link, ttl: '24 hours' });
    expect(en.subject).toBe('Activate your Alat Berat account');
    expect(en.text).toContain('valid for 24 hours');
  });

  it('escapes what a user typed in the HTML part', () => {
    const mail = renderMail('activation', 'id', { name: '<script>alert(1)</script>', link: 'http://x/a?b=1&c=2', ttl: '1 jam' });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).toContain('http://x/a?b=1&amp;c=2');
  });

  it.each([
    [86400, 'id', '1 hari'],
    [3600, 'en', '1 hour'],
    [7200, 'en', '2 hours'],
    [900, 'id', '15 menit'],
    [90, 'en', '90 seconds'],
  ] as const)('describes %i seconds in %s as %s', (seconds, lang, text) => {
    expect(describeDuration(seconds, lang)).toBe(text);
  });
});

describe('mail layout', () => {
  const link = 'https://app.example.com/activate?token=abc';

  it.each(['activation', 'password_reset', 'email_change'] as const)(
    '%s: a button and a copyable link, the link first in the text',
    (id) => {
      for (const lang of ['id', 'en'] as const) {
        const mail = renderMail(id, lang, { name: 'Wanto', link, ttl: '1 jam' });
        expect(/https?:\/\/\S+/.exec(mail.text)?.[0]).toBe(link);
        expect(mail.html.match(/href="https:\/\/app\.example\.com\/activate\?token=abc"/g)).toHaveLength(2);
        expect(mail.html).toContain(`<html lang="${lang}">`);
        expect(mail.html).toContain('role="presentation"');
        expect(mail.html).not.toMatch(/<script|<img|<link /i);
      }
    },
  );

  it('says in the text part what the HTML says', () => {
    const mail = renderMail('password_changed', 'en', { name: 'Wanto' });
    const visible = mail.html
      .replace(/<title>[\s\S]*?<\/title>/, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
    for (const line of mail.text.split('\n\n').filter((l) => l !== '--')) expect(visible).toContain(line);
  });
});
