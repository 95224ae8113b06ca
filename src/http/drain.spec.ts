import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainable, ResponsesInFlight } from './drain';

describe('drainable', () => {
  it('tells the responses still in flight at the drain, and only those, to close their connection', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => (req.url === '/hold' ? held.push(res) : res.end('done')));
    const drain = drainable(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    const get = (path: string) =>
      new Promise<IncomingMessage>((resolve, reject) =>
        request({ host: '127.0.0.1', port, path, agent }, (res) => res.resume().on('end', () => resolve(res)))
          .on('error', reject)
          .end(),
      );

    const before = await Promise.all([get('/quick'), get('/quick')]);
    expect(before.map((res) => res.headers.connection)).toEqual(['keep-alive', 'keep-alive']);
    const answers = [get('/hold'), get('/hold'), get('/hold')];
    await vi.waitFor(() => expect(held).toHaveLength(3));
    held[1].end('answered before the drain');
    await answers[1];

    const drained = drain(5_000);
    held[0].end('answered during the drain');
    held[2].end('answered during the drain');
    const [first, second, third] = await Promise.all(answers);
    expect([first.headers.connection, second.headers.connection, third.headers.connection]).toEqual(['close', 'keep-alive', 'close']);
    await expect(drained).resolves.toBe(true);
    agent.destroy();
  });
});

describe('ResponsesInFlight', () => {
  const response = (name: string) => ({ name }) as unknown as ServerResponse;

  it('holds what was added and not yet removed, in order, and a removed entry holds nothing', () => {
    const inFlight = new ResponsesInFlight();
    const [a, b, c] = [response('a'), response('b'), response('c')];
    const entries = [a, b, c].map((r) => inFlight.add(r));
    inFlight.remove(entries[1]);
    expect([...inFlight]).toEqual([a, c]);
    expect(entries[1]).toEqual({ response: null, previous: null, next: null });
    inFlight.remove(entries[1]);
    expect([...inFlight]).toEqual([a, c]);
    inFlight.remove(entries[0]);
    inFlight.remove(entries[2]);
    expect([...inFlight]).toEqual([]);
    const d = response('d');
    inFlight.add(d);
    expect([...inFlight]).toEqual([d]);
  });
});
