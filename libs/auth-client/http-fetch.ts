import { IssuerUnavailableError } from './errors';

const TIMEOUT_MS = 5_000;

/** GET/POST to the issuer with a timeout and no redirects; anything but 2xx JSON is an IssuerUnavailableError. */
export async function fetchJson(url: string, init: RequestInit = {}): Promise<{ body: unknown; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new IssuerUnavailableError(`${url}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new IssuerUnavailableError(`${url}: HTTP ${response.status}`);
  }
  try {
    return { body: await response.json(), headers: response.headers };
  } catch (error) {
    throw new IssuerUnavailableError(`${url}: not JSON`, { cause: error });
  }
}
