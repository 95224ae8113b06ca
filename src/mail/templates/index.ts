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

const FONT = 'font-family:Arial,Helvetica,sans-serif';
const COPY_LINK = [
  'Jika tombol tidak berfungsi, salin link ini ke browser anda:',
  'If the button does not work, copy this link into your browser:',
];
const FOOTER = [
  'Email ini dikirim otomatis oleh Alat Berat. Mohon tidak membalas email ini.',
  'This email was sent automatically by Alat Berat. Please do not reply to it.',
];

/**
 * Renders a template in one language to subject, plain text and HTML. The HTML is the layout mail
 * programs render alike (nested tables, inline styles, no script, no external image); the text
 * part says the same, and its first http(s) URL is the link.
 */
export function renderMail(id: TemplateId, lang: Lang, vars: Vars): MailContent {
  const template: Template = TEMPLATES[id];
  const i = lang === 'en' ? 1 : 0;
  const paragraphs = template.body[i];
  const link = vars.link;
  const action = link && template.action ? template.action[i] : undefined;
  const text = [
    ...paragraphs.map((p) => fill(p, vars, false)),
    ...(link ? [action ? `${action}:\n${link}` : link] : []),
    '--',
    FOOTER[i],
  ].join('\n\n');

  const href = link ? escapeHtml(link) : '';
  const rows = [
    `<tr><td style="padding:24px 28px 4px;${FONT};font-size:18px;font-weight:bold;color:#111827">Alat Berat</td></tr>`,
    `<tr><td style="padding:12px 28px 4px;${FONT};font-size:16px;line-height:24px;color:#1f2937">${paragraphs
      .map((p) => `<p style="margin:0 0 16px">${fill(p, vars, true)}</p>`)
      .join('')}</td></tr>`,
  ];
  if (link && action) {
    rows.push(
      `<tr><td style="padding:4px 28px 20px"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>` +
        `<td style="border-radius:6px;background:#f5a400"><a href="${href}" style="display:inline-block;padding:12px 24px;${FONT};` +
        `font-size:16px;font-weight:bold;color:#111827;text-decoration:none;border-radius:6px">${escapeHtml(action)}</a></td>` +
        `</tr></table></td></tr>`,
      `<tr><td style="padding:0 28px 24px;${FONT};font-size:13px;line-height:20px;color:#6b7280">${escapeHtml(COPY_LINK[i])}<br>` +
        `<a href="${href}" style="color:#1d4ed8;word-break:break-all">${href}</a></td></tr>`,
    );
  } else if (link) {
    rows.push(`<tr><td style="padding:0 28px 24px;${FONT};font-size:14px"><a href="${href}" style="color:#1d4ed8">${href}</a></td></tr>`);
  }
  const html = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(template.subject[i])}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid #f5a400">
${rows.join('\n')}
</table>
<p style="margin:16px 0 0;max-width:560px;${FONT};font-size:12px;line-height:18px;color:#9ca3af">${escapeHtml(FOOTER[i])}</p>
</td></tr></table>
</body></html>`;
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
