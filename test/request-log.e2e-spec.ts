import { inject } from 'vitest';
import { buildService, startService, type ServiceProcess } from './support/service';
import { TestSmtpServer } from './support/smtp';

interface LogLine {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string; remoteAddress?: string };
  res?: { statusCode: number };
  responseTime?: number;
  [key: string]: unknown;
}

/** The compiled service's stdout: one JSON line per request at LOG_LEVEL=info (README, "Logs"). */
describe('request log: one line per request, no credential in it', () => {
  let smtp: TestSmtpServer;
  let service: ServiceProcess;
  beforeAll(async () => {
    buildService();
    smtp = await new TestSmtpServer().start();
    service = await startService({ DATABASE_URL: inject('databaseUrl'), SMTP_URL: smtp.url, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await service?.dispose();
    await smtp?.stop();
  });

  /** The lines written for the request with this id (the log is asynchronous: polled briefly). */
  async function linesOf(id: string): Promise<LogLine[]> {
    for (let i = 0; i < 50; i++) {
      const lines = service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.req?.id === id);
      if (lines.length > 0) return lines;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [];
  }

  it('writes one line with the request id, method, path, status and time', async () => {
    const res = await fetch(`${service.url}/api/health`, { headers: { 'X-Request-Id': 'log-line-1' } });
    expect(res.status).toBe(200);
    const lines = await linesOf('log-line-1');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.msg).toBe('request completed');
    expect(line.level).toBe(30);
    expect(line.req).toMatchObject({ id: 'log-line-1', method: 'GET', url: '/api/health' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(typeof line.responseTime).toBe('number');
  });

  it('keeps tokens in the path, the query and the Authorization header out of the line', async () => {
    const secret = 'Sup3rS3cretTok3nValue';
    await fetch(`${service.url}/api/users/activate/${secret}`, { headers: { 'X-Request-Id': 'log-line-2', Accept: 'application/json' } });
    await fetch(`${service.url}/api/users/password/reset?token=${secret}&x=1`, { headers: { 'X-Request-Id': 'log-line-3' } });
    await fetch(`${service.url}/api/users/me`, { headers: { 'X-Request-Id': 'log-line-4', Authorization: `Bearer ${secret}` } });
    const [activate] = await linesOf('log-line-2');
    const [reset] = await linesOf('log-line-3');
    const [me] = await linesOf('log-line-4');
    expect(activate.req?.url).toBe('/api/users/activate/[token]');
    expect(activate.res?.statusCode).toBe(400);
    expect(reset.req?.url).toBe('/api/users/password/reset?token=[token]&x=1');
    expect(me.res?.statusCode).toBe(401);
    expect(service.output()).not.toContain(secret);
  });
});
