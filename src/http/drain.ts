import type { Server, ServerResponse } from 'node:http';

/**
 * Prepares `server` for a graceful stop; call before it listens. The returned function stops
 * accepting connections and waits for the requests in flight to finish, up to `timeoutMs`.
 * Every response from then on (those in flight included) says `Connection: close`, so no client
 * sends another request on a connection about to close; idle keep-alive connections are closed
 * at once (Node's close() alone would wait for them). Answers true when every connection ended
 * in time; otherwise the rest are cut and it answers false.
 */
export function drainable(server: Server): (timeoutMs: number) => Promise<boolean> {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (draining) response.setHeader('Connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return async (timeoutMs) => {
    draining = true;
    for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const drained = await Promise.race([closed, timedOut]);
    clearInterval(sweep);
    clearTimeout(timer);
    if (!drained) server.closeAllConnections();
    return drained;
  };
}
