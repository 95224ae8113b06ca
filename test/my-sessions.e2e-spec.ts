import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PASSWORD, registerActiveUser, startTestApp, type TestApp } from './support/app';
import { claims } from './support/accounts';
import { ageSessionUse } from './support/db';

const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0';

const sid = (accessToken: string): string => claims(accessToken).sid;

describe('my sessions: GET /api/users/me/sessions and DELETE /api/users/me/sessions/:id', () => {
  let t: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const login = async (email: string, userAgent: string) => {
    const res = await t.http.post('/api/users/login').set('User-Agent', userAgent).send({ email, password: PASSWORD }).expect(200);
    return { accessToken: res.body.access_token as string, refreshToken: res.body.refresh_token as string };
  };
  const sessions = (accessToken: string) => t.http.get('/api/users/me/sessions').set('Authorization', `Bearer ${accessToken}`);
  const end = (accessToken: string, id: string) =>
    t.http.delete(`/api/users/me/sessions/${id}`).set('Authorization', `Bearer ${accessToken}`);
  const meStatus = async (accessToken: string) => (await t.http.get('/api/users/me').set('Authorization', `Bearer ${accessToken}`)).status;
  /** Pretends the session was last used `seconds` ago. */
  const lastUsedAgo = (sessionId: string, seconds: number) => ageSessionUse(db, sessionId, seconds);

  it('lists the live sessions newest first, with device, address and which one is current', async () => {
    const user = await registerActiveUser(t);
    const phone = await login(user.email, PHONE);
    const laptop = await login(user.email, LAPTOP);

    const res = await sessions(laptop.accessToken).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message']);
    expect(res.body).toMatchObject({ error: null, message: 'Daftar sesi berhasil diambil' });
    expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([
      sid(laptop.accessToken),
      sid(phone.accessToken),
      sid(user.accessToken),
    ]);
    const [first, second] = res.body.data;
    expect(Object.keys(first).sort()).toEqual(['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent']);
    expect(first).toMatchObject({ user_agent: LAPTOP, current: true });
    expect(second).toMatchObject({ user_agent: PHONE, current: false });
    expect(first.ip).toMatch(/127\.0\.0\.1$/);
    expect(Date.parse(first.created_at)).toBeGreaterThanOrEqual(Date.parse(second.created_at));
    expect(JSON.stringify(res.body)).not.toContain(laptop.refreshToken);

    // English on request, same shape.
    const en = await sessions(phone.accessToken).set('Accept-Language', 'en').expect(200);
    expect(en.body.message).toBe('Sessions retrieved');
    expect(en.body.data.find((s: { current: boolean }) => s.current).id).toBe(sid(phone.accessToken));
  });

  it('leaves out ended sessions: logout, and another user never appears', async () => {
    const user = await registerActiveUser(t);
    const other = await registerActiveUser(t);
    const second = await login(user.email, PHONE);
    await t.http.post('/api/users/logout').set('Authorization', `Bearer ${user.accessToken}`).send({}).expect(200);
    const res = await sessions(second.accessToken).expect(200);
    expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([sid(second.accessToken)]);
    expect(JSON.stringify(res.body)).not.toContain(sid(other.accessToken));
  });

  it('records a long user agent cut to 512 characters, and none when there is none', async () => {
    const user = await registerActiveUser(t);
    const long = `Agent/${'x'.repeat(3000)}`;
    const { accessToken } = await login(user.email, long);
    const res = await sessions(accessToken).expect(200);
    const current = res.body.data.find((s: { current: boolean }) => s.current);
    expect(current.user_agent).toBe(long.slice(0, 512));
    const bare = await t.http.post('/api/users/login').unset('User-Agent').send({ email: user.email, password: PASSWORD }).expect(200);
    const listed = (await sessions(bare.body.access_token).expect(200)).body.data;
    expect(listed.find((s: { current: boolean }) => s.current).user_agent).toBeNull();
  });

  it('moves last_used_at on refresh, not on other requests', async () => {
    const user = await registerActiveUser(t);
    const id = sid(user.accessToken);
    await lastUsedAgo(id, 3600);
    const before = (await sessions(user.accessToken).expect(200)).body.data[0].last_used_at as string;
    await t.http.get('/api/users/me').set('Authorization', `Bearer ${user.accessToken}`).expect(200);
    expect((await sessions(user.accessToken).expect(200)).body.data[0].last_used_at).toBe(before);

    const refreshed = await t.http.post('/api/users/refresh').send({ refresh_token: user.refreshToken }).expect(200);
    const after = (await sessions(refreshed.body.access_token).expect(200)).body.data[0];
    expect(after.id).toBe(id);
    expect(Date.parse(after.last_used_at) - Date.parse(before)).toBeGreaterThan(3000 * 1000);
  });

  it('ends one session at once: its access token gets 401, its refresh token too; the others live on', async () => {
    const user = await registerActiveUser(t);
    const phone = await login(user.email, PHONE);
    // Capitals: ids are compared case-insensitively.
    const res = await end(user.accessToken, sid(phone.accessToken).toUpperCase()).expect(200);
    expect(res.body).toEqual({ error: null, message: 'Sesi berhasil diakhiri', data: null });
    expect(await meStatus(phone.accessToken)).toBe(401);
    await t.http.post('/api/users/refresh').send({ refresh_token: phone.refreshToken }).expect(401);
    expect(await meStatus(user.accessToken)).toBe(200);
    expect((await sessions(user.accessToken).expect(200)).body.data.map((s: { id: string }) => s.id)).toEqual([sid(user.accessToken)]);
    // Ended already: 404 like any session that is not live.
    await end(user.accessToken, sid(phone.accessToken)).expect(404);
  });

  it('ending the current session logs this token out', async () => {
    const user = await registerActiveUser(t);
    await end(user.accessToken, sid(user.accessToken)).expect(200);
    expect(await meStatus(user.accessToken)).toBe(401);
  });

  it('another user’s session id and an unknown one are 404 (and change nothing); a malformed id is 400', async () => {
    const user = await registerActiveUser(t);
    const victim = await registerActiveUser(t);
    const res = await end(user.accessToken, sid(victim.accessToken)).expect(404);
    expect(res.body).toEqual({ error: ['Sesi tidak ditemukan'], message: 'Proses gagal', data: null });
    expect(await meStatus(victim.accessToken)).toBe(200);
    await end(user.accessToken, randomUUID()).expect(404);
    const bad = await end(user.accessToken, 'not-a-uuid').expect(400);
    expect(bad.body.error).toEqual(['ID sesi tidak valid']);
  });

  it('needs an access token', async () => {
    await t.http.get('/api/users/me/sessions').expect(401);
    await t.http.delete(`/api/users/me/sessions/${randomUUID()}`).expect(401);
    await t.http.get('/api/v1/users/me/sessions').expect(401);
  });
});
