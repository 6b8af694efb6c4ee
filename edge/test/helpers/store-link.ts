/**
 * A TCP link between the edge's s3 driver and s3rver that a test can cut, so the edge
 * meets an object store outage exactly as the AWS SDK reports it:
 * - refuse(): nothing listens on the store's port any more and open connections are
 *   reset (the store's host is down): connect ECONNREFUSED after the SDK's retries;
 * - hang(): connections are accepted and never answered (packets dropped on the way):
 *   the SDK waits with no error at all;
 * - restore(): bytes flow to s3rver again, on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface StoreLink {
  /** http://127.0.0.1:<port>, to put in the s3 settings instead of s3rver's endpoint. */
  endpoint: string;
  refuse(): Promise<void>;
  hang(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startStoreLink(storeEndpoint: string): Promise<StoreLink> {
  const store = new URL(storeEndpoint);
  const sockets = new Set<Socket>();
  let forwarding = true;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset link is the point of the exercise, not a failure of the test.
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (!forwarding) return; // accepted, never answered
    const upstream = connect(Number(store.port), store.hostname);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });

  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  // Keep-alive connections must not outlive a cut: the SDK would go on using them.
  const resetAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      resetAll();
    });

  await listen();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async refuse() {
      await stopListening();
    },
    async hang() {
      resetAll();
      forwarding = false;
      if (!server.listening) await listen();
    },
    async restore() {
      resetAll();
      forwarding = true;
      if (!server.listening) await listen();
    },
    close: stopListening,
  };
}
