-- Up Migration
-- Signing in to the review page without an API token in the browser. A member mints a review
-- link (single use, 10 minutes); the page exchanges its token for a review session, whose id
-- travels as an HttpOnly, SameSite cookie. Neither secret is stored: only its sha256 (both
-- carry 256 random bits, so a fast hash is enough, as for API tokens).

CREATE TABLE review_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash bytea NOT NULL UNIQUE,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  -- the member who minted it: the session it opens acts as this user
  user_id uuid NOT NULL REFERENCES users(id),
  asset_id uuid NOT NULL REFERENCES assets(id),
  -- the version to open; null: the latest when the page opens
  version_id uuid REFERENCES versions(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- set once, by the exchange that consumed it: a link opens one session, ever
  used_at timestamptz
);
CREATE INDEX review_links_expires_idx ON review_links (expires_at);

-- A session is a member's (kind 'member': acts as user_id, exactly like their API token) or,
-- from issue 14 on, a guest's (kind 'guest': no user, scoped to one share). Both come from the
-- same exchange (POST /api/review-sessions) and travel in the same cookie.
CREATE TABLE review_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- sha256 of the cookie value; the value itself is never stored
  secret_hash bytea NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('member', 'guest')),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  user_id uuid REFERENCES users(id),
  share_id uuid REFERENCES shares(id),
  -- the link it was opened with (members); null once that link is forgotten
  link_id uuid REFERENCES review_links(id) ON DELETE SET NULL,
  -- what the page opened, for the page on reload and for the audit trail
  asset_id uuid NOT NULL REFERENCES assets(id),
  version_id uuid REFERENCES versions(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- signed out (DELETE /api/review-sessions/current): refused from then on
  revoked_at timestamptz,
  CONSTRAINT review_sessions_scope CHECK (
    (kind = 'member' AND user_id IS NOT NULL AND share_id IS NULL)
    OR (kind = 'guest' AND user_id IS NULL AND share_id IS NOT NULL)
  )
);
CREATE INDEX review_sessions_expires_idx ON review_sessions (expires_at);
CREATE INDEX review_sessions_user_idx ON review_sessions (user_id);

-- Signing out closes the session's open event streams on every api process, the way a
-- revoked API token's are closed: migration 0006's function announces the revocation of the
-- row's id, which is the credential id the session's callers carry.
CREATE TRIGGER review_sessions_notify_revoked AFTER UPDATE ON review_sessions
  FOR EACH ROW EXECUTE FUNCTION mediavault_notify_token_revoked();
