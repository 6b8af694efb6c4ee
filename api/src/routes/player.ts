import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const distDir = fileURLToPath(new URL('../../../player/dist/', import.meta.url));
const files: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'player.js': 'text/javascript; charset=utf-8',
  'player.js.map': 'application/json',
  'player.css': 'text/css; charset=utf-8',
};

/**
 * The bundled reviewer page. It holds no credentials: the signed edge URL in its
 * query string is the capability, so the page must never leak it in a Referer.
 */
export const playerRoutes: FastifyPluginAsync = async (app) => {
  const serve = async (name: string, reply: import('fastify').FastifyReply) => {
    const type = files[name];
    if (!type) return reply.status(404).send({ error: { code: 'not_found', message: `no player file ${name}` } });
    let body: Buffer;
    try {
      body = await readFile(distDir + name);
    } catch {
      return reply
        .status(503)
        .send({ error: { code: 'unavailable', message: 'the player is not built: run `npm run build`' } });
    }
    return reply
      .header('content-type', type)
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', name === 'index.html' ? 'no-store' : 'public, max-age=300')
      .send(body);
  };
  app.get('/player', { schema: { hide: true } }, async (request, reply) =>
    reply.redirect(`/player/${request.url.slice('/player'.length)}`),
  );
  app.get('/player/', { schema: { hide: true } }, async (_request, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>('/player/:file', { schema: { hide: true } }, async (request, reply) =>
    serve(request.params.file, reply),
  );
};
