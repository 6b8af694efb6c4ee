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
 * them), opened in a new tab so the page keeps playing: the original comes as an attachment (the
 * browser saves it); the MP4 comes from the edge after a redirect, another origin, where a
 * `download` attribute does not apply, so the browser shows it and offers to save it.
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
        target: '_blank',
        rel: 'noopener noreferrer',
        textContent: choice.label,
        dataset: { kind: choice.kind },
      }),
    ),
  );
}
