import { escapeHtml, Lang } from '../../http';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

type Vars = Record<string, string>;

interface Template {
  subject: [string, string];
  /** Paragraphs; {name} etc. are filled from the variables. */
  body: [string[], string[]];
  /** The button's label, when the mail carries a link in `vars.link`. */
  action?: [string, string];
}

const TEMPLATES = {
  activation: {
    subject: ['Aktivasi akun Alat Berat anda', 'Activate your Alat Berat account'],
    body: [
      ['Halo {name},', 'Terima kasih telah mendaftar. Klik link berikut untuk mengaktifkan akun anda. Link berlaku {ttl}.'],
      ['Hello {name},', 'Thank you for registering. Open the link below to activate your account. The link is valid for {ttl}.'],
    ],
    action: ['Aktifkan akun', 'Activate account'],
  },
  password_reset: {
    subject: ['Reset password akun Alat Berat', 'Reset your Alat Berat password'],
    body: [
      [
        'Halo {name},',
        'Kami menerima permintaan reset password. Klik link berikut untuk membuat password baru. Link berlaku {ttl} dan hanya dapat dipakai sekali.',
        'Abaikan email ini jika anda tidak memintanya.',
      ],
      [
        'Hello {name},',
        'We received a request to reset your password. Open the link below to choose a new one. The link is valid for {ttl} and works once.',
        'Ignore this email if you did not ask for it.',
      ],
    ],
    action: ['Reset password', 'Reset password'],
  },
  email_change: {
    subject: ['Konfirmasi email baru akun Alat Berat', 'Confirm the new email of your Alat Berat account'],
    body: [
      ['Halo {name},', 'Klik link berikut untuk menjadikan alamat ini email akun anda. Link berlaku {ttl}.'],
      ['Hello {name},', 'Open the link below to make this address the email of your account. The link is valid for {ttl}.'],
    ],
    action: ['Konfirmasi email', 'Confirm email'],
  },
  email_change_notice: {
    subject: ['Permintaan perubahan email akun Alat Berat', 'Email change requested for your Alat Berat account'],
    body: [
      [
        'Halo {name},',
        'Ada permintaan untuk mengubah email akun anda menjadi {newEmail}. Email lama tetap berlaku sampai alamat baru dikonfirmasi.',
        'Jika ini bukan anda, segera ganti password anda.',
      ],
      [
        'Hello {name},',
        'Someone asked to change the email of your account to {newEmail}. Your current address stays in use until the new one is confirmed.',
        'If this was not you, change your password now.',
      ],
    ],
  },
  password_changed: {
    subject: ['Password akun Alat Berat anda telah diubah', 'Your Alat Berat password was changed'],
    body: [
      [
        'Halo {name},',
        'Password akun anda baru saja diubah dan sesi login lain telah diakhiri.',
        'Jika ini bukan anda, segera reset password anda.',
      ],
      [
        'Hello {name},',
        'The password of your account was just changed and your other sessions were ended.',
        'If this was not you, reset your password now.',
      ],
    ],
  },
} satisfies Record<string, Template>;

export type TemplateId = keyof typeof TEMPLATES;

function fill(text: string, vars: Vars, escape: boolean): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name] ?? '';
    return escape ? escapeHtml(value) : value;
  });
}

/** Renders a template in one language to subject, plain text and HTML. */
export function renderMail(id: TemplateId, lang: Lang, vars: Vars): MailContent {
  const template: Template = TEMPLATES[id];
  const i = lang === 'en' ? 1 : 0;
  const paragraphs = template.body[i];
  const link = vars.link;
  const text = [...paragraphs.map((p) => fill(p, vars, false)), ...(link ? [link] : [])].join('\n\n');
  const button =
    link && template.action
      ? `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#f5a400;color:#111;text-decoration:none;border-radius:4px">${escapeHtml(template.action[i])}</a></p><p style="font-size:12px;color:#666">${escapeHtml(link)}</p>`
      : '';
  const html = `<!doctype html><html lang="${lang}"><body style="font-family:sans-serif">${paragraphs
    .map((p) => `<p>${fill(p, vars, true)}</p>`)
    .join('')}${button}</body></html>`;
  return { subject: template.subject[i], text, html };
}

/** "24 jam" / "24 hours" from seconds, for the mail text. */
export function describeDuration(seconds: number, lang: Lang): string {
  const [units, names] = [
    [86400, 3600, 60, 1],
    lang === 'en' ? ['day', 'hour', 'minute', 'second'] : ['hari', 'jam', 'menit', 'detik'],
  ] as const;
  const index = units.findIndex((unit) => seconds % unit === 0 && seconds >= unit);
  const unit = units[index === -1 ? 3 : index];
  const count = seconds / unit;
  const name = names[index === -1 ? 3 : index];
  return `${count} ${name}${lang === 'en' && count !== 1 ? 's' : ''}`;
}
