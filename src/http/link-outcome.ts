import type { Request, Response } from 'express';
import { ApiResult, ok } from './envelope';
import { escapeHtml, renderPage } from './html';
import { languageOf, translate, type MessageKey } from './messages';

/** True when the client (a browser following an email link) prefers HTML to JSON. */
export function prefersHtml(request: Request): boolean {
  return request.accepts(['json', 'html']) === 'html';
}

/** The small page a browser sees for the outcome of a link: one translated sentence. */
export function linkPageHtml(request: Request, message: MessageKey): string {
  const lang = languageOf(request.headers['accept-language']);
  return renderPage('Alat Berat', `<h1>${escapeHtml(translate(message, lang))}</h1>`, lang);
}

/**
 * The success answer of a @LinkPage route: a page for a browser, the envelope for a JSON client.
 * Its failures are rendered the same way by the exception filter.
 */
export function linkOutcome(request: Request, response: Response, outcome: MessageKey): ApiResult | string {
  if (!prefersHtml(request)) return ok(outcome, null);
  response.type('html');
  return linkPageHtml(request, outcome);
}
