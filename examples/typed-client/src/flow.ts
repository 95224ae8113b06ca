// What a frontend does with the generated types: `npm run check:client` generates src/api.d.ts
// from openapi.json (openapi-typescript) and compiles this file under `strict`. It only compiles;
// no server is needed. Wrong paths, bodies or field names are type errors.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './api';

type User = components['schemas']['UserResponseDto'];
type ErrorEnvelope = components['schemas']['ErrorEnvelope'];

const api = createClient<paths>({ baseUrl: 'http://localhost:3000', headers: { 'Accept-Language': 'id' } });

// The access token lives in memory only; the refresh token wherever the app keeps it (see the README).
let accessToken: string | undefined;
let refreshToken: string | undefined;

api.use({
  onRequest({ request }) {
    if (accessToken) request.headers.set('Authorization', `Bearer ${accessToken}`);
    return request;
  },
} satisfies Middleware);

/** The envelope's `error` array: one human-readable line per failing field or reason. */
function reasons(error: ErrorEnvelope): string {
  return error.error.join('\n');
}

export async function register(name: string, email: string, password: string): Promise<User | string> {
  const { data, error } = await api.POST('/api/users', { body: { name, email, password, confirmation: password } });
  if (error) return reasons(error); // 400 per field, 409 "Email sudah terdaftar", 429 …
  const user = data.data[0];
  return user ?? 'no user in the answer';
}

export async function login(email: string, password: string): Promise<User | string> {
  const { data, error, response } = await api.POST('/api/users/login', { body: { email, password } });
  if (error) {
    if (response.status === 429) return `coba lagi dalam ${response.headers.get('Retry-After') ?? '?'} detik`;
    return reasons(error); // 401 "Email atau password salah", 403 "Akun belum diaktivasi"
  }
  accessToken = data.access_token;
  refreshToken = data.refresh_token;
  const seconds: number = data.expires_in;
  console.log(`access token valid for ${seconds} s, type ${data.token_type}`);
  return data.data[0] ?? 'no user in the answer';
}

/** One refresh at a time: every caller that meets an expired token awaits the same promise. */
let refreshing: Promise<boolean> | undefined;
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      if (!refreshToken) return false;
      const { data } = await api.POST('/api/users/refresh', { body: { refresh_token: refreshToken } });
      if (!data) return false; // 401: the session is over, log in again
      accessToken = data.access_token;
      refreshToken = data.refresh_token;
      return true;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

export async function me(): Promise<User | undefined> {
  let result = await api.GET('/api/users/me');
  if (result.response.status === 401 && (await refresh())) result = await api.GET('/api/users/me');
  return result.data?.data[0];
}

export async function mySessions(): Promise<string[]> {
  const { data } = await api.GET('/api/users/me/sessions');
  return (data?.data ?? []).map((session) => `${session.current ? '*' : ' '} ${session.user_agent ?? '?'} ${session.last_used_at}`);
}

/** An error case: another user's id as a customer is a 403 whose envelope says why. */
export async function someoneElse(id: string): Promise<string> {
  const { data, error, response } = await api.GET('/api/users/{id}', { params: { path: { id } } });
  if (error) return `${response.status}: ${reasons(error)} (${error.message})`;
  return data.data[0]?.email ?? '';
}

export async function updateName(name: string): Promise<string> {
  const { data, error } = await api.PUT('/api/users', { body: { name } });
  return error ? reasons(error) : (data.data[0]?.name ?? '');
}
