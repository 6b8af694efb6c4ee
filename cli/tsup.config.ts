/**
 * The published CLI: ESM JavaScript with the `mediavault` bin. Each command
 * stays a chunk of its own, loaded when it runs. The server workspaces are
 * never bundled: `mediavault dev` imports them at run time, from the
 * repository (see src/dev/command.ts).
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: true,
  external: [/^@mediavault\//],
});
