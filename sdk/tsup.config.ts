/**
 * The published SDK: ESM JavaScript for Node 20 and later, and one bundled
 * .d.ts. Inside the repository the sources run as they are (type stripping):
 * the `mediavault-source` export condition points there.
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: true,
});
