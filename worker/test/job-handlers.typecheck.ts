/**
 * Checked by `npm run typecheck`, never run: the worker's handler map must name a handler for
 * every job definition, so a new job without one fails the typecheck.
 */
import type { JobName } from '@mediavault/core/jobs';
import { jobHandlers } from '../src/worker.ts';

type Handlers = typeof jobHandlers;
const everyJobHandled: Record<JobName, unknown> = jobHandlers;
const { probe: _dropped, ...missingOne } = jobHandlers;
// @ts-expect-error a map without the probe handler is not a handler map
const incomplete: Handlers = missingOne;
void everyJobHandled;
void incomplete;
