/**
 * Regenerates openapi/openapi.json from the api's route schemas and the SDK's
 * generated code from it. With --check, regenerates into memory and fails when
 * the committed files differ (CI runs this).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitOpenApi } from '@mediavault/api/openapi';
import { configVariables } from '@mediavault/core/config';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const generated: Record<string, string> = {};
const spec = await emitOpenApi();
generated['openapi/openapi.json'] = `${JSON.stringify(spec, null, 2)}\n`;

try {
  const { generateSdk } = (await import('../sdk/scripts/generate.ts')) as {
    generateSdk(spec: unknown): Promise<Record<string, string>>;
  };
  Object.assign(generated, await generateSdk(spec));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
}

generated['README.md'] = withConfigTable(await readFile(join(root, 'README.md'), 'utf8'));

/** The README's configuration table, from the same definitions the config loader validates with. */
function withConfigTable(readme: string): string {
  const rows = Object.entries(configVariables).map(([name, spec]) => {
    const def = spec.default === undefined ? '' : `\`${spec.default}\``;
    return `| \`${name}\` | ${def} | ${spec.description.replace(/\|/g, '\\|')} |`;
  });
  const table = ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
  return readme.replace(
    /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
    `<!-- config-table:start -->\n${table}\n<!-- config-table:end -->`,
  );
}

let stale = 0;
for (const [path, content] of Object.entries(generated)) {
  const file = join(root, path);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === content) continue;
  if (check) {
    stale++;
    process.stderr.write(`generated file not up to date: ${path}\n`);
  } else {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (check && stale > 0) {
  process.stderr.write('run `npm run gen` and commit the result\n');
  process.exit(1);
}
if (check) process.stdout.write(`generated files up to date (${Object.keys(generated).length} checked)\n`);
