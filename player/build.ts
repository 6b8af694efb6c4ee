/**
 * Bundles the reviewer page into a static folder the api serves as-is:
 * index.html, player.css, player.js (+ .map). Run: node player/build.ts [outDir]
 */
import { build } from 'esbuild';
import { realpathSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const playerRoot = fileURLToPath(new URL('.', import.meta.url));
export const defaultOutDir = join(playerRoot, 'dist');

export async function buildPlayer(outDir: string = defaultOutDir): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(playerRoot, 'src/main.ts')],
    outfile: join(outDir, 'player.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Reviewers are outside the company, on whatever browser they have: stay a few years back.
    target: ['chrome100', 'edge100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await Promise.all(
    ['index.html', 'player.css'].map((file) => copyFile(join(playerRoot, 'src', file), join(outDir, file))),
  );
}

// Run directly (not imported by a test): build. import.meta.main would need Node ≥ 24.2.
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  await buildPlayer(process.argv[2]);
}
