import type { Request, Response } from 'express';
import { AppError } from './app-error';
import { ApiResult, ok } from './envelope';
import { escapeHtml, renderPage } from './html';
import { languageOf, translate, type MessageKey } from './messages';

/**
 * For routes a person reaches from an email link (activation, email confirmation, the reset
 * form's post): a browser gets a small HTML page with the outcome, a JSON client the envelope.
 * Failures that are not AppErrors, and every failure of a JSON client, go to the global filter.
 */
export async function linkOutcome(request: Request, response: Response, action: () => Promise<MessageKey>): Promise<ApiResult | string> {
  const html = request.accepts(['json', 'html']) === 'html';
  const page = (status: number, message: MessageKey) => {
    const lang = languageOf(request.headers['accept-language']);
    response.status(status).type('html');
    return renderPage('Alat Berat', `<h1>${escapeHtml(translate(message, lang))}</h1>`, lang);
  };
  try {
    const outcome = await action();
    return html ? page(200, outcome) : ok(outcome, null);
  } catch (error) {
    if (html && error instanceof AppError) return page(error.status, error.reasons[0].key);
    throw error;
  }
}
