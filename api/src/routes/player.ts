import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

const distDir = fileURLToPath(new URL('../../../player/dist/', import.meta.url));
const files: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'player.js': 'text/javascript; charset=utf-8',
  'player.js.map': 'application/json',
  'player.css': 'text/css; charset=utf-8',
};

/**
 * The bundled reviewer page, at three addresses:
 * - /player/?src=…&labels=…: the signed edge URL in its query string is the capability;
 * - /review/#<token>: a review link, whose token the page exchanges for a session cookie
 *   (routes/review-sessions.ts) and then drops from its address;
 * - /s/#<token>: a share link, exchanged the same way for a guest session (routes/shares.ts).
 * Every way the page's URL held a secret, so it must never leak in a Referer
 * (`Referrer-Policy: no-referrer`), and the HTML is never cached.
 */
export const playerRoutes: FastifyPluginAsync = async (app) => {
  const serve = async (name: string, reply: FastifyReply) => {
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
  for (const base of ['/player', '/review', '/s']) {
    app.get(base, { schema: { hide: true } }, async (request, reply) =>
      reply.redirect(`${base}/${request.url.slice(base.length)}`),
    );
    app.get(`${base}/`, { schema: { hide: true } }, async (_request, reply) => serve('index.html', reply));
    app.get<{ Params: { file: string } }>(`${base}/:file`, { schema: { hide: true } }, async (request, reply) =>
      serve(request.params.file, reply),
    );
  }
};
