import type { FastifyPluginAsync } from 'fastify';
import websocket from '@fastify/websocket';
import { eventScope, type CatalogueEvent } from '../services/events.ts';

/**
 * GET /api/events (WebSocket): upload, preview and job state changes, and review comment and
 * approval changes, the caller may see, one JSON object per message. Optional filters:
 * ?sha256=&uploadId=&projectId=&assetId= (the last two keep events of that project or asset).
 * Browsers, which cannot set headers on a WebSocket, pass ?access_token=. A `{"type":"ready"}`
 * message says the stream is live; `{"type":"ready","resumed":true}` says it is live again after
 * the database was away, and that events of that time were missed.
 */
export const eventRoutes: FastifyPluginAsync = async (app) => {
  await app.register(websocket, { options: { maxPayload: 4096 } });
  app.get('/api/events', { websocket: true, schema: { hide: true } }, (socket, request) => {
    const caller = request.caller;
    if (request.callerUnknowable) {
      // 1013: try again later (the database is away; the client reconnects after a while).
      socket.close(1013, 'database unavailable; retry shortly');
      return;
    }
    if (!caller) {
      socket.close(4401, 'unauthenticated');
      return;
    }
    const query = request.query as { sha256?: string; uploadId?: string; projectId?: string; assetId?: string };
    const allowed = eventScope(app.deps.pool, caller);
    const matchesFilter = (event: CatalogueEvent) =>
      (!query.sha256 ||
        (event.type === 'preview' && event.sha256 === query.sha256) ||
        (event.type === 'job' && event.subject.startsWith(query.sha256))) &&
      (!query.uploadId ||
        (event.type === 'upload' && event.id === query.uploadId) ||
        (event.type === 'job' && event.subject === query.uploadId)) &&
      (!query.projectId || ('projectId' in event && event.projectId === query.projectId)) &&
      (!query.assetId || ('assetId' in event && event.assetId === query.assetId));
    // Events are delivered in order per connection even though the rights check is async.
    let chain = Promise.resolve();
    const unsubscribe = app.deps.events.subscribe((event) => {
      // The token this stream was opened with is revoked: it ends now, not at its next use.
      if (event.type === 'token') {
        if (event.id === caller.tokenId) socket.close(4401, 'token revoked');
        return;
      }
      if (!matchesFilter(event)) return;
      chain = chain.then(async () => {
        if (socket.readyState === socket.OPEN && (await allowed(event))) socket.send(JSON.stringify(event));
      });
    });
    // After the database came back: events of the outage are lost, so the client re-reads its state.
    const stopResume = app.deps.events.onResume(() => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'ready', resumed: true }));
    });
    socket.on('close', () => {
      unsubscribe();
      stopResume();
    });
    void app.deps.events.ready().then(
      () => socket.readyState === socket.OPEN && socket.send(JSON.stringify({ type: 'ready' })),
      () => socket.close(1011, 'event stream unavailable'),
    );
  });
};
