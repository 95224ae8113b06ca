/** The token is not acceptable: the guard answers 401. `reason` is for logs, never for the client. */
export class TokenRefusedError extends Error {
  override readonly name = 'TokenRefusedError';
}

/**
 * The issuer (discovery, JWKS or introspection) could not be reached or answered nonsense: the
 * guard answers 503, not 401, so a client does not log its user out over our outage.
 */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError';
}
