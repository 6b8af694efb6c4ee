/**
 * What an in-process api is still doing for clients, from Node's and
 * Fastify's diagnostics channels: the connections opened since `watch` and the
 * requests whose work is not over (a Fastify handler runs until its promise
 * settles, even after the client is gone). A test that SIGKILLed a client
 * awaits `idle()` to know that whatever the client had sent is finished.
 */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ServerActivity {
  /** Resolves once every connection opened since `watch` is closed and no request's work is left. */
  idle(): Promise<void>;
  stop(): void;
}

interface HandlerStore {
  request: { raw: IncomingMessage };
  async: boolean;
}

export function watchServer(server: Server): ServerActivity {
  const sockets = new Set<Socket>();
  const working = new Set<IncomingMessage>();
  const handled = new WeakSet<IncomingMessage>();
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (sockets.size > 0 || working.size > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };
  const done = (request: IncomingMessage) => {
    if (working.delete(request)) settle();
  };

  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      settle();
    });
  };
  server.on('connection', onConnection);

  const onRequest = (message: unknown) => {
    const {
      request,
      response,
      server: from,
    } = message as {
      request: IncomingMessage;
      response: ServerResponse;
      server: Server;
    };
    if (from !== server) return;
    working.add(request);
    // No handler ran and none will: the answer went out without one (an error before it), or
    // the client went away before its body was whole.
    response.once('close', () => {
      if (!handled.has(request) && (response.writableFinished || !request.complete)) done(request);
    });
  };
  subscribe('http.server.request.start', onRequest);

  const handler = tracingChannel<unknown, HandlerStore>('fastify.request.handler');
  const handlers = {
    start: (store: HandlerStore) => handled.add(store.request.raw),
    end: (store: HandlerStore) => {
      if (!store.async) done(store.request.raw);
    },
    asyncStart: () => {},
    asyncEnd: (store: HandlerStore) => done(store.request.raw),
    error: () => {},
  };
  handler.subscribe(handlers);

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      }),
    stop: () => {
      server.off('connection', onConnection);
      unsubscribe('http.server.request.start', onRequest);
      handler.unsubscribe(handlers);
    },
  };
}
