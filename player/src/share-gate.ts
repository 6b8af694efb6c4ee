/**
 * What a guest sees instead of the player: the password page (with the wait after wrong
 * passwords), and the clear pages of a link that is not valid, revoked, expired, a session that
 * ended, or a guest who signed out. Which page follows from the api's answer is a pure rule
 * (gateFor), tested without a browser; showGate draws it.
 */
import { element } from './dom.ts';
import { ShareApiError } from './share-api.ts';

export type Gate =
  | { kind: 'password'; wrong: boolean; waitSeconds: number }
  | { kind: 'invalid' }
  | { kind: 'revoked' }
  | { kind: 'expired' }
  | { kind: 'ended' }
  | { kind: 'no-session' }
  | { kind: 'signed-out' }
  | { kind: 'unavailable'; message: string };

/** The page for an api answer that keeps the guest out (a sign-in refused, a session that ended). */
export function gateFor(err: unknown): Gate {
  if (!(err instanceof ShareApiError))
    return { kind: 'unavailable', message: 'Something went wrong. Reload the page.' };
  switch (err.reason) {
    case 'password_required':
      return { kind: 'password', wrong: false, waitSeconds: 0 };
    case 'password_incorrect':
      return { kind: 'password', wrong: true, waitSeconds: err.retryAfterSeconds ?? 0 };
    case 'share_revoked':
      return { kind: 'revoked' };
    case 'share_expired':
      return { kind: 'expired' };
    // A password page left open past its 15 minutes: the link opens it again.
    case 'link_required':
    case 'session_ended':
      return { kind: 'ended' };
    case 'no_session':
      return { kind: 'no-session' };
  }
  // Wrong passwords too fast: the api did not check this one; wait as long as it says.
  if (err.code === 'rate_limited')
    return { kind: 'password', wrong: true, waitSeconds: Math.max(1, err.retryAfterSeconds ?? 1) };
  if (err.status === 401) return { kind: 'invalid' };
  return { kind: 'unavailable', message: err.message };
}

/** The title and the words of each page. */
export function gateText(gate: Gate): { title: string; message: string } {
  switch (gate.kind) {
    case 'password':
      return {
        title: 'This link is protected',
        message: gate.wrong
          ? 'That password is not right. Check it with the person who sent you the link.'
          : 'Enter the password you were given with this link.',
      };
    case 'invalid':
      return {
        title: 'This link is not valid',
        message: 'Check that the whole link was copied, or ask its sender to send it again.',
      };
    case 'revoked':
      return { title: 'This link was revoked', message: 'Its sender withdrew it. Ask them for a new link.' };
    case 'expired':
      return { title: 'This link has expired', message: 'Ask its sender for a new link.' };
    case 'ended':
      return { title: 'Your session has ended', message: 'Open the link you were sent again to carry on.' };
    case 'no-session':
      return {
        title: 'Open the link you were sent',
        message: 'This page opens from a share link. Open that link again to watch.',
      };
    case 'signed-out':
      return { title: 'You have signed out', message: 'Open the link you were sent to come back.' };
    case 'unavailable':
      return { title: 'This page cannot open', message: gate.message };
  }
}

/** Waits between password tries: the button counts down and stays disabled meanwhile. */
let countdown: ReturnType<typeof setInterval> | undefined;

/**
 * Shows `gate` in place of the player (the player, the comments and the header's actions go).
 * On the password page, `onPassword` is called with what the guest typed.
 */
export function showGate(gate: Gate, onPassword?: (password: string) => void): void {
  const { title, message } = gateText(gate);
  document.title = `${title} · mediavault`;
  element('title').textContent = gate.kind === 'password' ? 'Shared with you' : 'mediavault';
  for (const part of ['share-header', 'comments', 'error']) element(part).hidden = true;
  document.querySelector<HTMLElement>('.workspace')!.hidden = true;
  element('share-gate').hidden = false;
  element('share-gate').dataset.gate = gate.kind;
  element('share-gate-title').textContent = title;
  element('share-gate-message').textContent = message;
  const form = element<HTMLFormElement>('share-password');
  form.hidden = gate.kind !== 'password';
  clearInterval(countdown);
  if (gate.kind !== 'password' || !onPassword) return;

  const input = element<HTMLInputElement>('share-password-input');
  const submit = element<HTMLButtonElement>('share-password-submit');
  const status = element('share-password-status');
  form.onsubmit = (event) => {
    event.preventDefault();
    if (!input.value) return;
    submit.disabled = true;
    status.textContent = 'Checking…';
    onPassword(input.value);
  };
  input.value = '';
  const until = Date.now() + gate.waitSeconds * 1000;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    submit.disabled = left > 0;
    status.textContent = left > 0 ? `Too many tries: wait ${left} s before the next one.` : '';
    if (left <= 0) clearInterval(countdown);
  };
  tick();
  if (gate.waitSeconds > 0) countdown = setInterval(tick, 250);
  input.focus();
}

export function hideGate(): void {
  clearInterval(countdown);
  element('share-gate').hidden = true;
  document.querySelector<HTMLElement>('.workspace')!.hidden = false;
}
