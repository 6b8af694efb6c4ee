/**
 * Keyboard shortcuts: one table says which key does what, the page listens through it, and the
 * sheet `?` opens is drawn from the same table, so it cannot drift from what the keys do.
 */

export interface Shortcut {
  /** KeyboardEvent.key values ('ArrowLeft', ' ', 'j', 'J' for Shift+J); matched case-sensitively. */
  readonly keys: readonly string[];
  /** As shown on the sheet: 'J / K / L'. Default: the keys. */
  readonly shown?: string;
  readonly does: string;
  run(event: KeyboardEvent): void;
}

/** Typing in a field is typing, not a shortcut (Escape still leaves the field). */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'range'].includes(target.type);
}

/**
 * Handles the table's keys on the whole page (before controls see them, as a video element would)
 * until the answered function is called.
 */
export function listenForShortcuts(shortcuts: readonly Shortcut[]): () => void {
  const listening = new AbortController();
  window.addEventListener(
    'keydown',
    (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      // Typing, or in a dialog (the shortcut sheet closes itself on Escape).
      if (isTyping(event.target) || (event.target instanceof Element && event.target.closest('dialog[open]'))) return;
      // On a focused button, Space and Enter already click it.
      if ((event.key === ' ' || event.key === 'Enter') && event.target instanceof HTMLButtonElement) return;
      const shortcut = shortcuts.find((candidate) => candidate.keys.includes(event.key));
      if (!shortcut) return;
      event.preventDefault();
      shortcut.run(event);
    },
    { capture: true, signal: listening.signal },
  );
  return () => listening.abort();
}

const keyNames: Record<string, string> = { ' ': 'Space', ArrowLeft: '←', ArrowRight: '→', Escape: 'Esc' };

function keyLabel(key: string): string {
  if (keyNames[key]) return keyNames[key];
  if (key.length === 1 && key !== key.toLowerCase()) return `Shift+${key}`;
  return key.length === 1 ? key.toUpperCase() : key;
}

/** Fills `dialog` with the table as a list of keys and what they do. */
export function fillShortcutSheet(list: HTMLElement, shortcuts: readonly Shortcut[]): void {
  list.replaceChildren(
    ...shortcuts.flatMap((shortcut) => {
      const term = document.createElement('dt');
      const labels = shortcut.shown ? [shortcut.shown] : shortcut.keys.map(keyLabel);
      term.append(
        ...labels.flatMap((label, index) => {
          const kbd = document.createElement('kbd');
          kbd.textContent = label;
          return index === 0 ? [kbd] : [' ', kbd];
        }),
      );
      const definition = document.createElement('dd');
      definition.textContent = shortcut.does;
      return [term, definition];
    }),
  );
}
