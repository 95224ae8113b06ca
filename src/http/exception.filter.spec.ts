import type { ArgumentsHost } from '@nestjs/common';
import { EnvelopeExceptionFilter } from './exception.filter';

/** Renders one exception through the filter into a plain reply recorder (no HTTP needed). */
function render(exception: unknown) {
  const answer: { status?: number; body?: unknown } = {};
  const response = {
    sent: false,
    raw: { headersSent: false },
    header: () => response,
    type: () => response,
    code(code: number) {
      answer.status = code;
      return this;
    },
    send(body: unknown) {
      answer.body = body;
      return this;
    },
  };
  const request = { headers: {}, method: 'POST', url: '/api/users', raw: { headers: {} } };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ArgumentsHost;
  new EnvelopeExceptionFilter().catch(exception, host);
  return answer;
}

describe('EnvelopeExceptionFilter backstops', () => {
  it('answers PostgreSQL’s "value too long" (22001) with 400, never 500', () => {
    const error = Object.assign(new Error('value too long for type character varying(100)'), { driverError: { code: '22001' } });
    expect(render(error)).toEqual({
      status: 400,
      body: { error: ['Salah satu nilai terlalu panjang'], message: 'Proses gagal', data: null },
    });
  });

  it('answers characters the database cannot store (22P05, 22021) with 400', () => {
    for (const code of ['22P05', '22021']) expect(render(Object.assign(new Error('bad text'), { code })).status).toBe(400);
  });

  it('answers a path the router could not decode with 400 about the path', () => {
    const answer = render(new URIError("Failed to decode param '%E0%A4%A'"));
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string[] }).error).toEqual(['Alamat (URL) permintaan tidak valid']);
  });

  it('still answers anything else with a generic 500', () => {
    expect(render(new Error('boom')).status).toBe(500);
  });
});
