import type { Server } from 'node:http';

/**
 * Stops accepting connections and waits for the requests in flight to finish, up to `timeoutMs`.
 * Keep-alive connections are closed as soon as they are idle (Node's close() alone would wait
 * for them), and a request arriving on one meanwhile is answered with `Connection: close`.
 * Answers true when every connection ended in time; otherwise the rest are cut and it answers false.
 */
export async function drainHttpServer(server: Server, timeoutMs: number): Promise<boolean> {
  server.prependListener('request', (_request, response) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  });
  const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const drained = await Promise.race([closed, timedOut]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!drained) server.closeAllConnections();
  return drained;
}
