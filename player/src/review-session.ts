/**
 * The review page's sign-in: `/review/#<token>` (a link from `mediavault review` or the SDK's
 * createReviewLink) is exchanged once for a session cookie, and the token leaves the address.
 *
 * The token arrives in the fragment, which the browser sends to no server and in no Referer. The
 * page takes it out of the address (history.replaceState, so no history entry keeps it either)
 * before anything else happens, then POSTs it to the api, which answers with an HttpOnly cookie
 * this script never sees: every later api call of the page (same origin) carries it. After a
 * reload there is no token, and the session is asked for instead. The address keeps what the
 * page opened (`?asset=…&version=…`), not a secret, so a reload reopens the same asset even if
 * another tab has since signed in with a link of its own.
 */

/** What the page opens, as whom, until when (the api's ReviewSession). */
export interface ReviewSession {
  assetId: string;
  versionId: string | null;
  user: { id: string; name: string };
  /** ISO 8601. */
  expiresAt: string;
}

/** The page cannot review: the link was used or has expired, or the session ended. The message says what to do. */
export class ReviewSignInError extends Error {
  override readonly name = 'ReviewSignInError';
  /** The api's error code (`unauthenticated`, `rate_limited`…), or `network`. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** What the module touches of the browser; the page's own by default. */
export interface ReviewPageContext {
  location: Pick<Location, 'href' | 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  fetch: typeof fetch;
}

const browser = (): ReviewPageContext => ({
  location: window.location,
  history: window.history,
  fetch: (...a) => fetch(...a),
});

/** The api's base: the page is served by the api at `<PUBLIC_API_URL>/review/`. */
const apiUrl = (context: ReviewPageContext, path: string) => new URL(`../api/${path}`, context.location.href).href;

async function failure(response: Response): Promise<ReviewSignInError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ReviewSignInError(
    body?.error?.code ?? `http_${response.status}`,
    body?.error?.message ?? `the api answered ${response.status}`,
  );
}

async function ask(context: ReviewPageContext, path: string, init: RequestInit): Promise<Response> {
  try {
    return await context.fetch(apiUrl(context, path), { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ReviewSignInError('network', 'the api cannot be reached; check the connection and reload the page');
  }
}

/** The address of what the session opened, without any token. */
function reviewAddress(context: ReviewPageContext, opened: { assetId: string; versionId: string | null }): string {
  const query = new URLSearchParams({ asset: opened.assetId });
  if (opened.versionId) query.set('version', opened.versionId);
  return `${context.location.pathname}?${query}`;
}

/**
 * Signs the page in: exchanges the link's token when the address has one (once: a second use
 * is refused), else finds the session the cookie already holds. Answers what to open: the
 * asset (and version) of the address if it names one, else the session's. Throws
 * ReviewSignInError when the page cannot review.
 */
export async function openReviewSession(context: ReviewPageContext = browser()): Promise<ReviewSession> {
  const token = context.location.hash.slice(1);
  if (token) {
    // First of all, out of the address and of this history entry: nothing later can leak it.
    context.history.replaceState(context.history.state, '', `${context.location.pathname}${context.location.search}`);
    const response = await ask(context, 'review-sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (!response.ok) throw await failure(response);
    const session = (await response.json()) as ReviewSession;
    context.history.replaceState(context.history.state, '', reviewAddress(context, session));
    return session;
  }
  const response = await ask(context, 'review-sessions/current', { method: 'GET' });
  if (!response.ok) throw await failure(response);
  const session = (await response.json()) as ReviewSession;
  const named = new URLSearchParams(context.location.search);
  const assetId = named.get('asset');
  return assetId ? { ...session, assetId, versionId: named.get('version') } : session;
}

/** Signs the page's session out (the api ends it and its event streams; the cookie is cleared). */
export async function signOutOfReview(context: ReviewPageContext = browser()): Promise<void> {
  const response = await ask(context, 'review-sessions/current', { method: 'DELETE' });
  if (!response.ok) throw await failure(response);
}
