/**
 * The playlist of a share with several assets (a list, or a collection read live): the list to
 * pick from, and previous / next to step through it in the share's order. Stepping is a pure rule.
 */
import { element, make } from './dom.ts';
import type { ShareItem } from './share-api.ts';

/** The item `direction` steps away from `currentId` (no wrap-around), or null at either end. */
export function stepThrough<T extends { assetId: string }>(items: readonly T[], currentId: string, direction: 1 | -1) {
  const at = items.findIndex((item) => item.assetId === currentId);
  if (at === -1) return items[0] ?? null;
  return items[at + direction] ?? null;
}

/** A label that tells items apart: the collection folder, when the share has one, before the name. */
export function itemLabel(item: ShareItem): string {
  return item.collectionPath ? `${item.collectionPath}/${item.name}` : item.name;
}

export interface Playlist {
  /** Marks `assetId` as the one playing. */
  show(assetId: string): void;
  step(direction: 1 | -1): void;
}

/** Draws the playlist (shown only for more than one item); `open` plays the item picked. */
export function createPlaylist(items: readonly ShareItem[], open: (item: ShareItem) => void): Playlist {
  const root = element('share-playlist');
  const list = element('share-items');
  const previous = element<HTMLButtonElement>('share-previous');
  const next = element<HTMLButtonElement>('share-next');
  let currentId = items[0]?.assetId ?? '';
  root.hidden = items.length < 2;
  const buttons = items.map((item, index) => {
    const button = make('button', { type: 'button', className: 'share-item' }, [
      make('span', { className: 'share-item-number', textContent: `${index + 1}` }),
      make('span', { className: 'share-item-name', textContent: itemLabel(item) }),
    ]);
    button.dataset.assetId = item.assetId;
    button.addEventListener('click', () => open(item));
    return button;
  });
  list.replaceChildren(...buttons.map((button) => make('li', {}, [button])));
  const step = (direction: 1 | -1) => {
    const target = stepThrough(items, currentId, direction);
    if (target) open(target);
  };
  previous.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  return {
    show(assetId) {
      currentId = assetId;
      const at = items.findIndex((item) => item.assetId === assetId);
      for (const button of buttons) {
        if (button.dataset.assetId === assetId) button.setAttribute('aria-current', 'true');
        else button.removeAttribute('aria-current');
      }
      element('share-position').textContent = `${at + 1} of ${items.length}`;
      previous.disabled = stepThrough(items, assetId, -1) === null;
      next.disabled = stepThrough(items, assetId, 1) === null;
    },
    step,
  };
}
