-- Up Migration
-- Share links (issue 14): a link a member sends to a client, opening one asset (a chosen version
-- or always the latest), a list of assets, or a collection (played as a playlist), under a
-- policy: expiry, an optional password (argon2id), downloads, guest comments, a watermark.
-- The table of the initial schema had no route yet; it gains what shares need. Its link token is
-- stored as its sha256 only (256 random bits: a fast hash is enough, as for API tokens).

ALTER TABLE shares RENAME COLUMN token TO token_hash;
ALTER TABLE shares
  ADD COLUMN project_id uuid REFERENCES projects(id),
  ADD COLUMN name text,
  -- asset: one asset; assets: a list of them; collection: the assets of a collection, read live
  ADD COLUMN kind text NOT NULL DEFAULT 'asset' CHECK (kind IN ('asset', 'assets', 'collection')),
  -- latest: each asset's latest version when the guest opens it; pinned: the item's version_id
  ADD COLUMN version_policy text NOT NULL DEFAULT 'latest' CHECK (version_policy IN ('latest', 'pinned')),
  ADD COLUMN collection_id uuid REFERENCES collections(id),
  -- none; proxy: the MP4 preview; master: the master too (a watermarked share downloads its watermarked MP4)
  ADD COLUMN download text NOT NULL DEFAULT 'none' CHECK (download IN ('none', 'proxy', 'master')),
  ADD COLUMN comments boolean NOT NULL DEFAULT false,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Nothing wrote these before: the download policy and the watermark spec replace them.
ALTER TABLE shares DROP COLUMN allow_download;
ALTER TABLE shares DROP COLUMN watermark;
-- { template, position, opacity, size } (core/src/watermark.ts); null: no watermark
ALTER TABLE shares ADD COLUMN watermark jsonb;

-- A share covers its items (kinds asset and assets) or a collection; shares of the initial
-- schema, if any, become one-asset shares.
CREATE TABLE share_items (
  share_id uuid NOT NULL REFERENCES shares(id),
  position integer NOT NULL CHECK (position >= 0),
  asset_id uuid NOT NULL REFERENCES assets(id),
  -- pinned shares name the version; latest ones leave it null
  version_id uuid REFERENCES versions(id),
  PRIMARY KEY (share_id, position),
  UNIQUE (share_id, asset_id)
);
INSERT INTO share_items (share_id, position, asset_id) SELECT id, 0, asset_id FROM shares WHERE asset_id IS NOT NULL;
UPDATE shares s SET project_id = a.project_id FROM assets a WHERE a.id = s.asset_id;
ALTER TABLE shares DROP COLUMN asset_id;
ALTER TABLE shares ALTER COLUMN project_id SET NOT NULL;
ALTER TABLE shares ADD CONSTRAINT shares_collection_check CHECK ((kind = 'collection') = (collection_id IS NOT NULL));
CREATE INDEX shares_project_idx ON shares (project_id, created_at);

-- What happened with a share: its changes (create, update, revoke, by a member) and every
-- guest's open, play start, download, comment and password try, with where it came from.
CREATE TABLE share_audit (
  id bigserial PRIMARY KEY,
  share_id uuid NOT NULL REFERENCES shares(id),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  project_id uuid NOT NULL REFERENCES projects(id),
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL CHECK (event IN (
    'create', 'update', 'revoke', 'open', 'password_failed', 'password_throttled', 'play', 'download', 'comment')),
  -- the member who changed the share (create, update, revoke)
  actor_user_id uuid REFERENCES users(id),
  -- the guest session (open and after); the name the guest gave, once they gave one
  session_id uuid,
  guest_name text,
  asset_id uuid REFERENCES assets(id),
  version_id uuid REFERENCES versions(id),
  client_address text,
  user_agent text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX share_audit_share_idx ON share_audit (share_id, id);
-- Wrong passwords are counted per share and address over the last hours (the growing delays).
CREATE INDEX share_audit_password_idx ON share_audit (share_id, at) WHERE event = 'password_failed';

-- Guest sessions name their share (review_sessions.share_id, migration 0010); a collection share
-- may open no asset yet, and a guest gives a display name for their comments and watermark.
ALTER TABLE review_sessions ALTER COLUMN asset_id DROP NOT NULL;
ALTER TABLE review_sessions ADD CONSTRAINT review_sessions_member_asset CHECK (kind = 'guest' OR asset_id IS NOT NULL);
ALTER TABLE review_sessions ADD COLUMN guest_name text;
CREATE INDEX review_sessions_share_idx ON review_sessions (share_id) WHERE share_id IS NOT NULL;

-- Every audit row is an event on the events channel (members of the share's project see it).
CREATE FUNCTION mediavault_notify_share_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mediavault_events', json_build_object(
    'type', 'share', 'event', NEW.event, 'id', NEW.id, 'shareId', NEW.share_id, 'projectId', NEW.project_id,
    'organizationId', NEW.organization_id, 'assetId', NEW.asset_id, 'versionId', NEW.version_id,
    'at', NEW.at)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER share_audit_notify AFTER INSERT ON share_audit FOR EACH ROW EXECUTE FUNCTION mediavault_notify_share_audit();
