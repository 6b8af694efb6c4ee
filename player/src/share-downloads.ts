/**
 * The download buttons of a share, as its policy allows: none; the MP4 preview ("proxy"); or the
 * MP4 and the original master ("master"). A watermarked share hands out only its watermarked
 * MP4, whatever the policy: one button. Which buttons is a pure rule.
 */
import { element, make } from './dom.ts';
import { downloadUrl, type SharePolicy } from './share-api.ts';

export interface DownloadChoice {
  kind: 'proxy' | 'master';
  label: string;
}

export function downloadChoices(policy: Pick<SharePolicy, 'download' | 'watermarked'>): DownloadChoice[] {
  if (policy.download === 'none') return [];
  const mp4: DownloadChoice = { kind: 'proxy', label: 'Download MP4' };
  if (policy.download === 'master' && !policy.watermarked) return [mp4, { kind: 'master', label: 'Download original' }];
  return [mp4];
}

/**
 * Shows the buttons for the asset in view. They are plain links to the api (the cookie goes with
 * them). Both answers are attachments, so the browser saves the file and the page stays and keeps
 * playing: the original streamed by the api, the MP4 from the edge after a redirect (another
 * origin, where a `download` attribute would be ignored: the edge names the file itself).
 */
export function showDownloads(policy: Pick<SharePolicy, 'download' | 'watermarked'>, assetId: string): void {
  const root = element('share-downloads');
  const choices = downloadChoices(policy);
  root.hidden = choices.length === 0;
  root.replaceChildren(
    ...choices.map((choice) =>
      make('a', {
        className: 'share-download',
        href: downloadUrl(assetId, choice.kind),
        textContent: choice.label,
        dataset: { kind: choice.kind },
      }),
    ),
  );
}
