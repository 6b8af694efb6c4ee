/**
 * Serves the fs driver's presigned URLs for real: a node:http server on 127.0.0.1:0
 * that hands every request to handleFsPresignedRequest, as the api's /storage/* route does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { handleFsPresignedRequest } from '../../src/storage/fs-presigned.ts';
import type { Storage, StorageRole } from '../../src/storage/types.ts';

export interface FsPresignedServer {
  publicUrl: string;
  close(): Promise<void>;
}

/** storages is read on every request, so a test may swap a role's storage in later. */
export async function serveFsPresigned(storages: Partial<Record<StorageRole, Storage>>): Promise<FsPresignedServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      const answer = await handleFsPresignedRequest({
        storages,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: req,
      });
      res.writeHead(answer.status, answer.headers);
      if (answer.body instanceof Readable) await pipeline(answer.body, res);
      else res.end(answer.body ?? '');
    } catch (err) {
      res.writeHead(500).end(String(err));
    } finally {
      req.resume(); // an error answered before the body was read must not stall the socket
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    publicUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
