import { IssuerUnavailableError } from './errors';
import { fetchJson } from './http-fetch';

/** The parts of the issuer's OpenID metadata the kit uses. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint?: string;
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Reads `<issuer>/.well-known/openid-configuration` on first use and keeps it. A failed read is
 * not kept: the next request tries again (concurrent requests share one attempt).
 */
export class Discovery {
  private metadata?: IssuerMetadata;
  private pending?: Promise<IssuerMetadata>;

  constructor(private readonly issuer: string) {}

  get(): Promise<IssuerMetadata> {
    if (this.metadata) return Promise.resolve(this.metadata);
    this.pending ??= this.load().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async load(): Promise<IssuerMetadata> {
    const { body } = await fetchJson(discoveryUrl(this.issuer), { headers: { accept: 'application/json' } });
    const metadata = body as Partial<IssuerMetadata> | null;
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (metadata?.issuer !== this.issuer) {
      throw new IssuerUnavailableError(`discovery names issuer ${JSON.stringify(metadata?.issuer)}, expected ${this.issuer}`);
    }
    if (typeof metadata.jwks_uri !== 'string') throw new IssuerUnavailableError('discovery has no jwks_uri');
    this.metadata = {
      issuer: metadata.issuer,
      jwks_uri: metadata.jwks_uri,
      introspection_endpoint: typeof metadata.introspection_endpoint === 'string' ? metadata.introspection_endpoint : undefined,
    };
    return this.metadata;
  }
}
