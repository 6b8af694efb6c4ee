-- Up Migration
-- Review (issue 13): comments pinned to a frame of one version, and an approval per version.
-- The comments table of the initial schema had no route yet; it gains what review needs.

ALTER TABLE comments
  ADD COLUMN internal boolean NOT NULL DEFAULT false,
  ADD COLUMN annotation jsonb,
  ADD COLUMN resolved_by uuid REFERENCES users(id),
  ADD COLUMN edited_at timestamptz,
  -- a deleted comment is a tombstone: its text and drawing are emptied, the row (and its replies) stay
  ADD COLUMN deleted_at timestamptz,
  -- 'guest': a share link's reviewer without an account (issue 14); author_user_id is then null
  ADD COLUMN author_kind text NOT NULL DEFAULT 'member' CHECK (author_kind IN ('member', 'guest')),
  -- the asset's project and organization, copied so that scoping (REST and events) needs no join
  ADD COLUMN project_id uuid REFERENCES projects(id),
  ADD COLUMN organization_id uuid REFERENCES organizations(id);

UPDATE comments c SET project_id = a.project_id, organization_id = a.organization_id FROM assets a WHERE a.id = c.asset_id;
ALTER TABLE comments ALTER COLUMN project_id SET NOT NULL, ALTER COLUMN organization_id SET NOT NULL;

-- From now on a comment names its version and frame (an end frame at or after it) and its text is bounded.
-- NOT VALID: enforced for every row written from here on; rows written before are left as they were.
ALTER TABLE comments ADD CONSTRAINT comments_anchor_check CHECK (
  version_id IS NOT NULL AND timecode IS NOT NULL AND timecode >= 0 AND (timecode_out IS NULL OR timecode_out >= timecode)
) NOT VALID;
ALTER TABLE comments ADD CONSTRAINT comments_body_length_check CHECK (char_length(body) <= 10000) NOT VALID;

CREATE INDEX comments_parent_idx ON comments (parent_id) WHERE parent_id IS NOT NULL;

-- No row: no decision. Clearing a decision deletes the row; who did it is in the activity log.
CREATE TABLE version_approvals (
  version_id uuid PRIMARY KEY REFERENCES versions(id),
  status text NOT NULL CHECK (status IN ('approved', 'changes_requested')),
  user_id uuid NOT NULL REFERENCES users(id),
  decided_at timestamptz NOT NULL DEFAULT now()
);

-- Changes are published on the events channel like uploads (migration 0002), whoever writes them.
-- No text travels: a NOTIFY payload is limited to 8000 bytes, and clients read the comment through the api.
CREATE FUNCTION mediavault_notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change text;
BEGIN
  IF TG_OP = 'INSERT' THEN change := 'created';
  ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN change := 'deleted';
  ELSIF NEW.resolved_at IS NOT NULL AND OLD.resolved_at IS NULL THEN change := 'resolved';
  ELSIF NEW.resolved_at IS NULL AND OLD.resolved_at IS NOT NULL THEN change := 'reopened';
  ELSIF NEW.body IS DISTINCT FROM OLD.body OR NEW.annotation IS DISTINCT FROM OLD.annotation THEN change := 'updated';
  ELSE RETURN NEW;
  END IF;
  PERFORM pg_notify('mediavault_events', json_build_object(
    'type', 'comment', 'action', change, 'id', NEW.id, 'assetId', NEW.asset_id, 'versionId', NEW.version_id,
    'projectId', NEW.project_id, 'organizationId', NEW.organization_id, 'internal', NEW.internal)::text);
  RETURN NEW;
END $$;
CREATE TRIGGER comments_notify AFTER INSERT OR UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION mediavault_notify_comment();

CREATE FUNCTION mediavault_notify_approval() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  decided version_approvals;
  scope record;
BEGIN
  IF TG_OP = 'DELETE' THEN decided := OLD; ELSE decided := NEW; END IF;
  SELECT a.id, a.project_id, a.organization_id INTO scope
    FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.id = decided.version_id;
  PERFORM pg_notify('mediavault_events', json_build_object(
    'type', 'approval', 'assetId', scope.id, 'versionId', decided.version_id, 'projectId', scope.project_id,
    'organizationId', scope.organization_id,
    'status', CASE WHEN TG_OP = 'DELETE' THEN 'none' ELSE NEW.status END)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER version_approvals_notify AFTER INSERT OR UPDATE OR DELETE ON version_approvals
  FOR EACH ROW EXECUTE FUNCTION mediavault_notify_approval();
