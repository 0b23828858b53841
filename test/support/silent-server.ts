import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP server on a free loopback port that accepts and never answers: a Redis or a broker that does not respond,
 * holding whoever connects at that step for as long as a test wants. `connected` resolves at the first connection
 * with `ended`, which resolves when the client closes it.
 */
export async function silentServer(): Promise<{
  server: Server;
  port: number;
  connected: Promise<{ ended: Promise<void> }>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const connected = new Promise<{ ended: Promise<void> }>((resolve) =>
    server.once('connection', (socket) => {
      const ended = once(socket, 'end').then(() => undefined);
      socket.resume(); // read, or the client's end is never seen
      resolve({ ended });
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as { port: number }).port,
    connected,
    // Connections still open (a client that failed to close) are cut: the test must end either way.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
