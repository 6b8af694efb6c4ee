/**
 * The share page's sign-in: `/s/#mvs_…` (a share link) is exchanged for a guest session cookie,
 * and the token leaves the address before anything else happens.
 *
 * The token arrives in the fragment, which the browser sends to no server and in no Referer.
 * history.replaceState takes it out of the address and of this history entry, and it goes to the
 * api once, in the first POST's body. When the share wants a password, that answer sets a short
 * HttpOnly cookie naming the share, and the password tries send the password alone: the token is
 * in no request after the first. After a reload there is no token: the cookie's session is asked for.
 */
import { shareApi, ShareApiError, type ShareSession } from './share-api.ts';
import { gateFor, hideGate, showGate } from './share-gate.ts';

/** The link's token, taken out of the address (and this history entry) at once; null when there is none. */
export function takeLinkToken(): string | null {
  const token = location.hash.slice(1);
  if (!token) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return token;
}

/**
 * Signs the page in: with the link's token (asking for the password as long as the share wants
 * it, waiting as long as the api says after wrong ones), else with the cookie's session. Resolves
 * with the session, or null once a page says why the guest cannot come in.
 */
export async function signInToShare(): Promise<ShareSession | null> {
  const token = takeLinkToken();
  if (!token) {
    try {
      return await shareApi.current();
    } catch (err) {
      showGate(gateFor(err));
      return null;
    }
  }
  return new Promise((resolve) => {
    const attempt = (password?: string) => {
      shareApi.start(password === undefined ? { token } : { password }).then(
        (session) => {
          hideGate();
          resolve(session);
        },
        (err: unknown) => {
          const gate = gateFor(err);
          showGate(gate, attempt);
          if (gate.kind !== 'password') resolve(null);
        },
      );
    };
    attempt();
  });
}

/** Ends the guest session (the api forgets it and clears the cookie). */
export async function signOutOfShare(): Promise<void> {
  await shareApi.end();
}

/** Whether `err` means the guest session is gone (revoked, expired, ended): the page must stop. */
export function sessionGone(err: unknown): boolean {
  return (
    err instanceof ShareApiError &&
    (err.status === 401 || err.reason === 'share_revoked' || err.reason === 'share_expired')
  );
}
