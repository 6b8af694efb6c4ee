/**
 * Overwrites a file the way the service's own (unprivileged) user would: as the file's owner,
 * in a child process. File modes bind every user but root, so when the tests run as root (CI
 * does), the file is first given to `nobody` and the child runs as nobody; otherwise the child
 * runs as this process's user, who already owns the files it made.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const runFile = promisify(execFile);

/** Opens its argument for writing without truncating (r+) and says how that went: `written` or the errno code. */
const writerScript = `
const { writeFileSync } = require('node:fs');
try {
  writeFileSync(process.argv[1], 'overwritten', { flag: 'r+' });
  process.stdout.write('written');
} catch (err) {
  process.stdout.write(String(err.code));
}`;

async function nobody(): Promise<{ uid: number; gid: number }> {
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').find((line) => line.startsWith('nobody:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  // 65534 is nobody/nogroup on Linux distributions that have no entry for it.
  return { uid: Number(uid ?? 65534), gid: Number(gid ?? 65534) };
}

/**
 * Tries to overwrite path as its owner: answers `written`, or the errno code of the refusal
 * (EACCES for a read-only file). Directories from root down to the file are made searchable by
 * others first (the test root is mkdtemp's 0700), so only the file's own mode decides.
 */
export async function overwriteAsOwner(path: string, root: string): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? await nobody() : null;
  if (user) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      await chmod(dir, (await stat(dir)).mode | 0o111);
      if (dir === root) break;
      if (dir === dirname(dir)) throw new Error(`${path} is not under ${root}`);
    }
    await chown(path, user.uid, user.gid);
  }
  const { stdout } = await runFile(process.execPath, ['-e', writerScript, path], {
    cwd: '/',
    env: {},
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  return stdout;
}

/** Reads its argument and says how that went: `read` or the errno code. */
const readerScript = `
const { readFileSync } = require('node:fs');
try {
  readFileSync(process.argv[1]);
  process.stdout.write('read');
} catch (err) {
  process.stdout.write(String(err.code));
}`;

/**
 * Tries to read path as an account that is neither its owner nor in its group (`nobody`),
 * leaving every mode as the driver made it. Only root can start a process as another user:
 * answers null when not running as root.
 */
export async function readAsStranger(path: string): Promise<string | null> {
  if (process.getuid?.() !== 0) return null;
  const user = await nobody();
  const { stdout } = await runFile(process.execPath, ['-e', readerScript, path], {
    cwd: '/',
    env: {},
    uid: user.uid,
    gid: user.gid,
  });
  return stdout;
}
