import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards, type INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { LinkPage } from './decorators';
import { ApiResult, ok } from './envelope';
import { escapeHtml, renderPage, type PageOptions } from './html';
import { languageOf, translate, type Lang, type MessageKey, type MessageRef } from './messages';
import { acceptedTypes, preferredType, rawRequest, sendHtmlHeaders, type HttpReply, type HttpRequest } from './platform';

/** What the pages link and post to: built from configuration by the app (auth/links.ts), one set per app. */
export interface PageSettings {
  /** Frontend login page, the next step after an activation or a reset (LOGIN_URL). */
  loginUrl?: string;
  resetPasswordAction: string;
  resendActivationAction: string;
  forgotPasswordAction: string;
}

interface PageState {
  /** @BrowserLink: HTML unless the client explicitly asks for JSON (`Accept: *\/*` gets the page too). */
  htmlUnlessJson?: boolean;
  /** The route's own form, shown again with the errors when its submission fails. */
  form?: 'reset';
}

const STATE = Symbol('link-page-state');
type WithState = IncomingMessage & { [STATE]?: PageState };

function stateOf(request: HttpRequest): PageState {
  const req = rawRequest(request) as WithState;
  req[STATE] ??= {};
  return req[STATE];
}

const SETTINGS = Symbol('page-settings');

/**
 * The app's page settings, kept on its Fastify instance (several apps may share a process, as
 * the tests do); a request reaches them through `request.server`, which inherits from it.
 */
export function usePageSettings(app: INestApplication, settings: PageSettings): void {
  (app.getHttpAdapter().getInstance() as FastifyInstance).decorate(SETTINGS, settings);
}

/**
 * A JSON client in the sense of route 2: `application/json` named in Accept and preferred to
 * HTML. A browser, a mail scanner, `Accept: *\/*` and a missing Accept are not.
 */
export function isJsonClient(request: HttpRequest): boolean {
  return acceptedTypes(request).includes('application/json') && preferredType(request, ['json', 'html']) === 'json';
}

/** True when the client (a browser following an email link, or its form) should get a page rather than JSON. */
export function prefersHtml(request: HttpRequest): boolean {
  if (stateOf(request).htmlUnlessJson) return !isJsonClient(request);
  return preferredType(request, ['json', 'html']) === 'html';
}

const BROWSER_LINK = 'http:browser-link';

@Injectable()
class BrowserLinkGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.get<Pick<PageState, 'htmlUnlessJson' | 'form'> | undefined>(BROWSER_LINK, context.getHandler()) ?? {};
    const state = stateOf(context.switchToHttp().getRequest<HttpRequest>());
    state.htmlUnlessJson = options.htmlUnlessJson === true;
    state.form = options.form;
    return true;
  }
}

/**
 * A @LinkPage that a person opens from an email: every client but an explicit JSON one gets the
 * HTML page, failures included.
 */
export const BrowserLink = () =>
  applyDecorators(LinkPage(), SetMetadata(BROWSER_LINK, { htmlUnlessJson: true }), UseGuards(BrowserLinkGuard));

/** The form's failures are shown on the form itself (POST /password/reset from the reset page). */
export const FormPage = (form: 'reset') => applyDecorators(SetMetadata(BROWSER_LINK, { form }), UseGuards(BrowserLinkGuard));

const LINK_TOKEN_FAILURES = new Set<MessageKey>([
  'activation_invalid',
  'activation_expired',
  'reset_invalid',
  'reset_expired',
  'email_change_invalid',
  'email_change_expired',
]);

interface PageParts {
  tone: NonNullable<PageOptions['tone']>;
  /** Paragraph message keys under the heading. */
  next?: MessageKey[];
  login?: boolean;
  /** An email field posting to one of the "send me a new link" routes. */
  askAgain?: 'activation' | 'reset';
}

/** What each outcome page says and offers as the next step. */
const OUTCOME_PAGES: Partial<Record<MessageKey, PageParts>> = {
  activated: { tone: 'success', next: ['p_login_next'], login: true },
  already_active: { tone: 'success', next: ['p_login_next'], login: true },
  reset_ok: { tone: 'success', next: ['p_reset_done'], login: true },
  email_changed: { tone: 'success', next: ['p_email_changed_next'], login: true },
  activation_resent: { tone: 'info', next: ['p_check_inbox'] },
  forgot_ok: { tone: 'info', next: ['p_check_inbox'] },
  activation_invalid: { tone: 'error', next: ['p_new_activation_link'], askAgain: 'activation' },
  activation_expired: { tone: 'error', next: ['p_new_activation_link'], askAgain: 'activation' },
  reset_invalid: { tone: 'error', next: ['p_new_reset_link'], askAgain: 'reset' },
  reset_expired: { tone: 'error', next: ['p_new_reset_link'], askAgain: 'reset' },
  email_change_invalid: { tone: 'error', next: ['p_email_change_again'] },
  email_change_expired: { tone: 'error', next: ['p_email_change_again'] },
};

function langOf(request: HttpRequest): Lang {
  return languageOf(request.headers['accept-language']);
}

function settingsOf(request: HttpRequest): PageSettings | undefined {
  return (request.server as unknown as { [SETTINGS]?: PageSettings })[SETTINGS];
}

function emailForm(action: string, lang: Lang): string {
  return `<form method="post" action="${escapeHtml(action)}">
<label for="email">${escapeHtml(translate('f_email', lang))}<input id="email" type="email" name="email" required maxlength="254" autocomplete="email" inputmode="email"></label>
<button class="button" type="submit">${escapeHtml(translate('p_send_link', lang))}</button>
</form>`;
}

/**
 * The page a browser sees for the outcome of a link or its form: a success's message key, or a
 * failure's reasons (from the exception filter).
 */
export function linkPageHtml(request: HttpRequest, outcome: MessageKey | MessageRef[]): string {
  const failed = Array.isArray(outcome);
  const reasons: MessageRef[] = failed ? outcome : [{ key: outcome }];
  const lang = langOf(request);
  const key = reasons[0]?.key ?? 'internal';
  const state = stateOf(request);
  const token = (request.body as { token?: unknown } | undefined)?.token;
  if (failed && state.form === 'reset' && !LINK_TOKEN_FAILURES.has(key) && typeof token === 'string') {
    return resetFormHtml(request, token, reasons);
  }
  const parts = OUTCOME_PAGES[key];
  const t = (k: MessageKey) => escapeHtml(translate(k, lang));
  if (!parts) {
    const list = reasons.map((reason) => `<li>${escapeHtml(translate(reason, lang))}</li>`).join('');
    return renderPage({
      lang,
      title: translate('p_error_title', lang),
      tone: 'error',
      body: `<h1>${t('p_error_title')}</h1>\n<ul class="errors">${list}</ul>\n<p>${t('p_try_again')}</p>`,
    });
  }
  const settings = settingsOf(request);
  const html = [`<h1>${escapeHtml(translate(reasons[0], lang))}</h1>`, ...(parts.next ?? []).map((k) => `<p>${t(k)}</p>`)];
  if (parts.login && settings?.loginUrl) html.push(`<a class="button" href="${escapeHtml(settings.loginUrl)}">${t('p_login_button')}</a>`);
  if (parts.askAgain === 'activation' && settings) html.push(emailForm(settings.resendActivationAction, lang));
  if (parts.askAgain === 'reset' && settings) html.push(emailForm(settings.forgotPasswordAction, lang));
  return renderPage({ lang, title: translate(reasons[0], lang), tone: parts.tone, body: html.join('\n') });
}

/**
 * Route 2's page: says what the link is for and offers one button that posts to route 2b (the
 * same URL). Opening it changes nothing, so a mail scanner cannot activate an account.
 */
export function activationConfirmHtml(request: HttpRequest): string {
  const lang = langOf(request);
  const t = (k: MessageKey) => escapeHtml(translate(k, lang));
  return renderPage({
    lang,
    title: translate('p_activate_title', lang),
    body: `<h1>${t('p_activate_title')}</h1>
<p>${t('p_activate_text')}</p>
<form method="post">
<button class="button" type="submit">${t('p_activate_button')}</button>
</form>
<p class="muted">${t('p_activate_not_you')}</p>`,
  });
}

/** The reset form the emailed link opens; posts to route 13. With `errors`, shown again after a failed try. */
export function resetFormHtml(request: HttpRequest, token: string, errors: MessageRef[] = []): string {
  const lang = langOf(request);
  const t = (k: MessageKey) => escapeHtml(translate(k, lang));
  const action = settingsOf(request)?.resetPasswordAction ?? '';
  const problems = errors.length
    ? `<p>${t('p_reset_fix')}</p>\n<ul class="errors">${errors.map((e) => `<li>${escapeHtml(translate(e, lang))}</li>`).join('')}</ul>\n`
    : '';
  return renderPage({
    lang,
    title: translate('p_reset_title', lang),
    tone: errors.length ? 'error' : 'info',
    body: `<h1>${t('p_reset_title')}</h1>
${problems}<p class="muted">${t('p_reset_hint')}</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="password">${t('f_password')}<input id="password" type="password" name="password" minlength="8" required autocomplete="new-password"></label>
<label for="confirmation">${t('f_confirmation')}<input id="confirmation" type="password" name="confirmation" minlength="8" required autocomplete="new-password"></label>
<button class="button" type="submit">${t('p_reset_button')}</button>
</form>`,
  });
}

/** Sends a page: HTML, never cached (its URL or form carries a one-time token). */
export function asPage(reply: HttpReply, html: string): string {
  sendHtmlHeaders(reply);
  return html;
}

/**
 * The success answer of a @LinkPage route: a page for a browser, the envelope for a JSON client.
 * Its failures are rendered the same way by the exception filter.
 */
export function linkOutcome(request: HttpRequest, response: HttpReply, outcome: MessageKey): ApiResult | string {
  if (!prefersHtml(request)) return ok(outcome, null);
  return asPage(response, linkPageHtml(request, outcome));
}
