/**
 * How `mediavault upload` shows an ingest: with --json every SDK event as one
 * NDJSON line and the summary last; otherwise a line per finished file
 * (results on stdout, problems on stderr), above the ink progress view when
 * stdout is a terminal.
 */
import type { DryRunSummary, IngestEvent, IngestEventSource, IngestProgress, IngestSummary } from '@mediavault/sdk';
import { formatBytes, type Output } from './output.ts';
import type { UploadViewState } from './views/upload-view.ts';

type ViewModule = typeof import('./views/upload-view.ts');

export class UploadReport {
  readonly #output: Output;
  readonly #dryRun: boolean;
  #viewModule: ViewModule | null = null;
  #view: UploadViewState | null = null;
  #screen: { update(): void; finish(): void } | null = null;

  constructor(output: Output, options: { dryRun: boolean }) {
    this.#output = output;
    this.#dryRun = options.dryRun;
  }

  /**
   * On a terminal (and without --json or --quiet), loads the ink view: ink and React load only
   * when there is one to draw on. Colours only where the terminal has them and NO_COLOR is unset
   * (Node's hasColors() reads NO_COLOR, FORCE_COLOR and TERM).
   */
  async prepareView(progress: IngestProgress): Promise<void> {
    if (this.#output.json || this.#output.quiet || !process.stdout.isTTY) return;
    this.#viewModule = await import('./views/upload-view.ts');
    const now = Date.now();
    this.#view = { progress, startedAt: now, now, finishedLines: [], color: process.stdout.hasColors() };
  }

  /** The ingest's progress changed: redraw (the view throttles); the first call starts drawing. */
  progress(): void {
    if (!this.#view || !this.#viewModule) return;
    if (this.#screen) this.#screen.update();
    else this.#screen = this.#viewModule.startUploadView(this.#view);
  }

  /** Draws the last frame and lets go of the terminal. */
  finishView(): void {
    if (this.#view && !this.#screen) this.progress();
    this.#screen?.finish();
  }

  event(event: IngestEvent, source: IngestEventSource): void {
    const output = this.#output;
    const { event: name, ...fields } = event;
    output.event(name, fields);
    switch (event.event) {
      case 'skip':
        if (source.kind === 'file')
          this.#say(`${event.reason.padEnd(12)} ${event.path}  ${formatBytes(source.file.size)}`);
        else if (this.#dryRun && 'detail' in event)
          output.line(`skip         ${event.path}  (${event.reason}${event.detail ? `: ${event.detail}` : ''})`);
        else if (this.#dryRun) output.line(`skip         ${event.path}  (${event.reason})`);
        break;
      case 'error':
        if (source.kind === 'plan') output.problem(`error  ${event.message}`);
        else if (source.kind === 'sidecar')
          output.problem(`error  ${event.path}: could not store the MHL as a sidecar: ${event.message}`);
        else if (this.#view) this.#say(`failed       ${event.path}: ${event.message}`);
        else
          output.problem(
            `error  ${event.path}: ${event.message}${event.requestId ? ` (request id ${event.requestId})` : ''}`,
          );
        break;
      case 'file-done':
        this.#say(
          `${event.status.padEnd(12)} ${event.path}  ${formatBytes(event.size)}${event.sha256 ? `  sha256:${event.sha256.slice(0, 12)}` : ''}${event.assetId ? `  asset ${event.assetId}` : ''}`,
        );
        break;
      case 'sidecar':
        this.#say(`sidecar      ${event.mhl}  → ${event.versions} version${event.versions === 1 ? '' : 's'}`);
        break;
      case 'would-send':
        output.line(
          `${event.action.padEnd(12)} ${event.path}  ${formatBytes(event.size)}${event.collectionPath ? `  → ${event.collectionPath}` : ''}${event.mhl ? '  (MHL)' : ''}`,
        );
        break;
    }
  }

  /**
   * The last line, for people and for scripts alike. `skippedByPlan`: the files the plan
   * skipped (litter, excluded, MHL documents), counted with the files, as `skipped` counts them.
   */
  summary(summary: IngestSummary, skippedByPlan: number): void {
    this.#output.event('summary', { ...summary });
    const counted = summary.files.length + skippedByPlan;
    this.#output.info(
      `${counted} file${counted === 1 ? '' : 's'}${summary.interrupted ? ' done' : ''}: ${summary.sent} sent, ${summary.deduplicated} deduplicated, ${summary.skipped} skipped, ${summary.failed} failed; ${formatBytes(summary.bytes)} sent in ${(summary.elapsedMs / 1000).toFixed(1)} s (${(summary.bytesPerSecond / 1e6).toFixed(1)} MB/s)`,
    );
  }

  dryRunSummary(summary: DryRunSummary): void {
    this.#output.event('summary', { ...summary });
    this.#output.line(
      `dry run: ${summary.files} file${summary.files === 1 ? '' : 's'} (${formatBytes(summary.bytes)} to send${summary.archived > 0 ? `, ${summary.archived} already archived` : ''}), ${summary.skipped} skipped, ${summary.failed} problem${summary.failed === 1 ? '' : 's'}; nothing was sent`,
    );
  }

  #say(line: string): void {
    if (this.#view) this.#view.finishedLines.push(line);
    else this.#output.info(line);
  }
}
