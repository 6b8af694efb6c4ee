/**
 * The guest's name: asked once, before their first comment, or before playing when the share's
 * watermark shows the viewer. The api keeps it with the session (cleaned to one line) and puts it
 * on the guest's comments and, when asked, in the burnt-in watermark.
 */
import { element } from './dom.ts';
import { shareApi, ShareApiError, type ShareSession } from './share-api.ts';

/**
 * Asks for the guest's name (`why` says what it is for) and gives it to the api. Resolves with the
 * session as the api answers it, or null when the guest would rather not (`required`: they
 * cannot decline, e.g. the watermark needs it before anything plays).
 */
export function askGuestName(why: string, required: boolean): Promise<ShareSession | null> {
  const dialog = element<HTMLDialogElement>('share-name');
  const form = element<HTMLFormElement>('share-name-form');
  const input = element<HTMLInputElement>('share-name-input');
  const problem = element('share-name-error');
  const cancel = element<HTMLButtonElement>('share-name-cancel');
  element('share-name-why').textContent = why;
  problem.hidden = true;
  cancel.hidden = required;
  return new Promise((resolve) => {
    const done = (session: ShareSession | null) => {
      form.onsubmit = null;
      cancel.onclick = null;
      dialog.oncancel = null;
      dialog.close();
      resolve(session);
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      submit.disabled = true;
      shareApi
        .setName(name)
        .then(done, (err: unknown) => {
          problem.textContent =
            err instanceof ShareApiError && err.status === 400 ? 'Type a name, please.' : (err as Error).message;
          problem.hidden = false;
        })
        .finally(() => {
          submit.disabled = false;
        });
    };
    cancel.onclick = () => done(null);
    // Escape closes a modal dialog: allowed only when the name may be declined.
    dialog.oncancel = (event) => {
      if (required) event.preventDefault();
      else done(null);
    };
    dialog.showModal();
    input.focus();
  });
}
