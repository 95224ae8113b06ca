import { createHash } from 'node:crypto';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The one stylesheet of every page, inline in a <style> block. The Content-Security-Policy allows
 * exactly this block by its hash (PAGE_STYLE_HASH): no inline script, no other inline style.
 */
const PAGE_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#f3f4f6;color:#1f2937;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:0 auto;padding:2.5rem 1rem}
.brand{margin:0 0 1rem;font-weight:700;letter-spacing:.02em;color:#111827}
.brand span{display:inline-block;width:.8rem;height:.8rem;margin-right:.45rem;border-radius:2px;background:#f5a400;vertical-align:-.05rem}
.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.05);border-top:4px solid #f5a400}
.card.success{border-top-color:#16a34a}
.card.error{border-top-color:#dc2626}
.card>:last-child,.card>form:last-child>:last-child{margin-bottom:0}
h1{margin:0 0 .75rem;font-size:1.35rem;line-height:1.3}
p{margin:0 0 1rem}
.muted{color:#6b7280;font-size:.9rem}
ul.errors{margin:0 0 1rem;padding:.75rem 1rem .75rem 2rem;border-radius:8px;background:#fef2f2;color:#991b1b}
form{margin:0}
label{display:block;margin:0 0 1rem;font-weight:600}
input{display:block;width:100%;margin-top:.35rem;padding:.7rem .8rem;border:1px solid #d1d5db;border-radius:8px;font:inherit;font-weight:400;background:#fff}
input:focus{outline:2px solid #f5a400;outline-offset:1px;border-color:#f5a400}
.button{display:block;width:100%;margin:0 0 1rem;padding:.8rem 1rem;border:0;border-radius:8px;background:#f5a400;color:#111827;font:inherit;font-weight:700;text-align:center;text-decoration:none;cursor:pointer}
.button:hover,.button:focus{background:#e09600}
`;

export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS).digest('base64')}'`;

export interface PageOptions {
  lang: string;
  title: string;
  /** The colour of the card's top edge: neutral, done, or went wrong. */
  tone?: 'info' | 'success' | 'error';
  /** Trusted HTML: callers escape what they put in. */
  body: string;
}

/** A small, self-contained page for people who open a link from an email, readable on a phone. */
export function renderPage({ lang, title, tone = 'info', body }: PageOptions): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Alat Berat</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<p class="brand"><span></span>Alat Berat</p>
<div class="card ${tone}">
${body}
</div>
</main>
</body>
</html>
`;
}
