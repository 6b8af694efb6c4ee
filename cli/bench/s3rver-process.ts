/**
 * s3rver in a process of its own, for the ingest bench: an S3 server is not on the event loop
 * of the api that talks to it, and both clients compared (mediavault and the AWS CLI) then meet
 * the same server alone. Prints `{ endpoint, settings }` as one JSON line once it listens, and
 * stops when its stdin closes (when the bench ends, however it ends).
 */
import { startS3rver } from '../../core/test/helpers/s3rver.ts';

const s3 = await startS3rver();
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, settings: s3.settings })}\n`);
process.stdin.resume();
process.stdin.once('end', () => {
  void s3.close().finally(() => process.exit(0));
});
