import { createServer } from 'node:net';
import { PASSWORD, registerActiveUser, startTestApp, uniqueEmail, type TestApp } from './support/app';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The value of one series in the Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('Prometheus metrics on METRICS_PORT', () => {
  let t: TestApp;
  let metricsUrl: string;
  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({ METRICS_PORT: String(port), LOGIN_FAILURES_LIMIT: '2' });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts requests per route template with method and status, never the raw URL', async () => {
    const user = await registerActiveUser(t);
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    await t.http.get('/api/users/me').set(auth).expect(200);
    await t.http.get('/api/users/me').set(auth).expect(200);
    await t.http.get(`/api/users/${user.id}`).set(auth).expect(200);
    await t.http.get(`/api/v1/users/${user.id}`).set(auth).expect(200);
    await t.http.get('/api/users/me').expect(401);
    await t.http.get('/api/nothing-here').expect(404);

    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/users/me', status_code: '200' })).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/users/me', status_code: '401' })).toBe(1);
    // /api/v1 is the same route: both reads of the user count under one template.
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/users/:id', status_code: '200' })).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket', { route: '/api/users/me', status_code: '200', le: '+Inf' })).toBe(2);
    expect(text).not.toContain(user.id);
    expect(text).not.toContain('nothing-here');
  });

  it('counts login outcomes: ok, invalid_credentials, not_activated, locked', async () => {
    const active = await registerActiveUser(t); // one successful login
    const inactive = uniqueEmail('inactive');
    await t.http.post('/api/users').send({ name: 'Wanto', email: inactive, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    await t.http.post('/api/users/login').send({ email: inactive, password: PASSWORD }).expect(403);
    const target = uniqueEmail('locked');
    await t.http.post('/api/users/login').send({ email: target, password: 'wrong-password' }).expect(401);
    await t.http.post('/api/users/login').send({ email: target, password: 'wrong-password' }).expect(401);
    await t.http.post('/api/users/login').send({ email: target, password: 'wrong-password' }).expect(429);
    await t.http.post('/api/users/login').send({ email: active.email }).expect(400);

    const text = await scrape();
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'not_activated' })).toBe(1);
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'invalid_credentials' })).toBe(2);
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'locked' })).toBe(1);
    expect(sample(text, 'auth_login_attempts_total', { outcome: 'invalid_request' })).toBe(1);
  });

  it('reports the database pool, the outbox backlog and the process', async () => {
    const text = await scrape();
    expect(sample(text, 'db_pool_connections', { state: 'max' })).toBeGreaterThan(0);
    expect(sample(text, 'db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'db_pool_connections', { state: 'busy' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'db_pool_waiting_requests')).toBe(0);
    // Before the outbox table exists the gauges read 0; after, the backlog.
    expect(sample(text, 'mail_outbox_pending')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'mail_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('serves nothing else on the metrics port, and no /metrics on the public port', async () => {
    expect((await fetch(metricsUrl.replace('/metrics', '/api/health'))).status).toBe(404);
    const res = await t.http.get('/metrics').expect(404);
    expect(res.text).not.toContain('http_request_duration_seconds');
  });
});

describe('metrics off', () => {
  it('without METRICS_PORT no server and no series: the public port has no /metrics either', async () => {
    const t = await startTestApp();
    try {
      expect(t.config.metrics.port).toBeUndefined();
      await t.http.get('/metrics').expect(404);
    } finally {
      await t.close();
    }
  });
});
