import { createClient } from '../src/index.ts';
const c = createClient({ baseUrl: 'http://x', token: 't' });
async function f() {
  const me = await c.getMe();
  me.user.email satisfies string;
  const a = await c.getAsset({ params: { assetId: 'x' } });
  a.versions[0]?.sha256 satisfies string | undefined;
  const p = await c.presignUpload({ body: { name: 'a', size: 1, projectId: 'p' } });
  if (p.status === 'upload') p.parts satisfies { partNumber: number; url: string }[];
  const l = await c.listAssets({ params: { projectId: 'p' }, query: { limit: 5 } });
  l.nextCursor satisfies string | null;
  await c.listAssets({ params: { projectId: 'p' } });
  const pr = await c.promote({ body: { sha256: 'x' } });
  pr.status satisfies 'promoting' | 'promoted' | 'deduplicated';
  // An export answered as text/csv is its text.
  const csv = await c.exportShareAudit({ params: { shareId: 's' } });
  csv satisfies string;
  // @ts-expect-error params required
  await c.getAsset({});
  // @ts-expect-error body required
  await c.presignUpload();
}
void f;
