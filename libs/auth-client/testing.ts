import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { DEFAULT_AUDIENCE } from './auth-client.options';

/**
 * A stand-in for the user service in other services' tests: it signs access tokens in exactly
 * the user service's format and serves discovery, JWKS and introspection on 127.0.0.1, so a
 * consumer tests its guard without running the user service (or its database).
 */

export interface TestIssuerOptions {
  /**
   * The `iss`. Default: the server's own URL once listening. A path ("/auth") is appended to
   * the server's URL and everything is served under it; an absolute URL is used as given (for
   * tokens that never meet discovery, e.g. "signed by someone else").
   */
  issuer?: string;
  audience?: string;
  /** The service client introspection accepts (default test-client / test-secret). */
  introspectionClient?: { clientId: string; clientSecret: string };
}

export interface TestTokenClaims {
  sub: string;
  /** Default "customer". */
  role?: string;
  /** Default a fresh UUID. */
  sid?: string;
  /** Seconds (`900`) or a duration (`"30s"`, `"15m"`, `"1h"`); default 15m. Ignored when `exp` is given. */
  expiresIn?: number | string;
  /** Any claim may be overridden (`iss`, `aud`, `iat`, `exp`, `typ`, …); `undefined` leaves it out. */
  [claim: string]: unknown;
}

export interface TestSignOptions {
  /** Header `kid`. One of the issuer's kids signs with that key; anything else is a bogus kid on the current key. */
  kid?: string;
  /** Header `typ` (default "at+jwt"). */
  typ?: string;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export class TestIssuer {
  /** Requests served, by endpoint: tests assert how often a consumer fetched. */
  readonly requests = { discovery: 0, jwks: 0, introspection: 0 };
  readonly audience: string;
  readonly introspectionClient: { clientId: string; clientSecret: string };
  /** While true every endpoint answers 503, as a user service that is down would. */
  unavailable = false;
  private readonly keys: SigningKey[] = [];
  private readonly revokedSessions = new Set<string>();
  private server?: Server;
  private baseUrl?: string;

  constructor(private readonly options: TestIssuerOptions = {}) {
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
    this.introspectionClient = options.introspectionClient ?? { clientId: 'test-client', clientSecret: 'test-secret' };
  }

  /** The `iss` of its tokens, and what to pass to AuthClientModule.forRoot({ issuer }). */
  get issuer(): string {
    const configured = this.options.issuer;
    if (configured && !configured.startsWith('/')) return configured;
    if (!this.baseUrl) throw new Error('TestIssuer: call listen() first (or give an absolute issuer)');
    return `${this.baseUrl}${configured ?? ''}`;
  }

  /** The kid that signs now. */
  get currentKid(): string {
    return this.currentKey().kid;
  }

  /** The published key set (every key ever generated: rotation keeps old ones). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** A new signing key; the previous ones stay published. Returns its kid. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    this.keys.push({ kid, privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } });
    return kid;
  }

  async sign(claims: TestTokenClaims, options: TestSignOptions = {}): Promise<string> {
    const { expiresIn = '15m', ...overrides } = claims;
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      role: 'customer',
      sid: randomUUID(),
      jti: randomUUID(),
      typ: 'access',
      iss: 'iss' in overrides ? undefined : this.issuer,
      aud: this.audience,
      iat: now,
      ...overrides,
    };
    if (!('exp' in overrides)) payload.exp = (typeof payload.iat === 'number' ? payload.iat : now) + seconds(expiresIn);
    const key = this.keys.find((candidate) => candidate.kid === options.kid) ?? this.currentKey();
    const header = { alg: 'ES256', typ: options.typ ?? 'at+jwt', kid: options.kid ?? key.kid };
    return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
  }

  /** Introspection answers `{active: false}` for this session from now on (as after a logout). */
  revokeSession(sid: string): void {
    this.revokedSessions.add(sid);
  }

  /** Starts the HTTP server on 127.0.0.1 (a free port) and returns the issuer URL. */
  async listen(): Promise<string> {
    if (!this.keys.length) await this.rotate();
    const server = createServer((request, response) => {
      this.handle(request, response).catch(() => send(response, 500, { error: 'server_error' }));
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.issuer;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private currentKey(): SigningKey {
    const key = this.keys.at(-1);
    if (!key) throw new Error('TestIssuer: no key yet (call listen() or rotate() first)');
    return key;
  }

  /** Where discovery and the endpoints live: under the issuer's path when it is on this server. */
  private get prefix(): string {
    return this.options.issuer?.startsWith('/') ? this.options.issuer.replace(/\/+$/, '') : '';
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const base = `${this.baseUrl}${this.prefix}`;
    if (path === `${this.prefix}/.well-known/openid-configuration` && request.method === 'GET') {
      this.requests.discovery++;
      if (this.unavailable) return send(response, 503, { error: 'unavailable' });
      return send(response, 200, {
        issuer: this.issuer,
        jwks_uri: `${base}/.well-known/jwks.json`,
        introspection_endpoint: `${base}/api/token/introspect`,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
        id_token_signing_alg_values_supported: ['ES256'],
        subject_types_supported: ['public'],
      });
    }
    if (path === `${this.prefix}/.well-known/jwks.json` && request.method === 'GET') {
      this.requests.jwks++;
      if (this.unavailable) return send(response, 503, { error: 'unavailable' });
      return send(response, 200, this.jwks(), { 'Cache-Control': 'public, max-age=600' });
    }
    if (path === `${this.prefix}/api/token/introspect` && request.method === 'POST') {
      this.requests.introspection++;
      if (this.unavailable) return send(response, 503, { error: 'unavailable' });
      if (!this.clientAuthenticated(request.headers.authorization)) {
        return send(response, 401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Basic' });
      }
      const token = new URLSearchParams(await readBody(request)).get('token') ?? '';
      return send(response, 200, await this.introspect(token));
    }
    send(response, 404, { error: 'not_found' });
  }

  private clientAuthenticated(header: string | undefined): boolean {
    const encoded = /^Basic (\S+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return false;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    const { clientId, clientSecret } = this.introspectionClient;
    return colon > 0 && decode(decoded.slice(0, colon)) === clientId && decode(decoded.slice(colon + 1)) === clientSecret;
  }

  /** RFC 7662, as the user service answers it: inactive for anything but a live access token. */
  private async introspect(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(this.jwks()), {
        algorithms: ['ES256'],
        issuer: this.issuer,
        audience: this.audience,
        typ: 'at+jwt',
      });
      if (payload.typ !== 'access' || typeof payload.sid !== 'string' || this.revokedSessions.has(payload.sid)) return { active: false };
      const { sub, role, sid, exp, iat, iss, aud } = payload;
      return { active: true, sub, role, sid, exp, iat, iss, aud, token_type: 'access_token' };
    } catch {
      return { active: false };
    }
  }
}

export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = new TestIssuer(options);
  await issuer.rotate();
  return issuer;
}

function seconds(duration: number | string): number {
  if (typeof duration === 'number') return duration;
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(duration.trim());
  if (!match) throw new Error(`TestIssuer: cannot read the duration ${JSON.stringify(duration)}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request
      .setEncoding('utf8')
      .on('data', (chunk: string) => (body += chunk))
      .on('end', () => resolve(body))
      .on('error', reject);
  });
}
