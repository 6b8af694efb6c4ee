-- Up Migration
-- State changes of uploads, previews and jobs are published on one channel;
-- the api LISTENs and forwards them over WebSocket to the clients allowed to see them.
-- Triggers rather than application code, so no writer (api, any worker) can forget one.

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'active', 'completed', 'failed', 'dead'));
CREATE INDEX jobs_state_idx ON jobs (state, updated_at);

CREATE FUNCTION mediavault_notify_upload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify('mediavault_events', json_build_object(
      'type', 'upload', 'id', NEW.id, 'organizationId', NEW.organization_id, 'projectId', NEW.project_id,
      'status', NEW.status, 'assetId', NEW.asset_id, 'versionId', NEW.version_id,
      'error', CASE WHEN NEW.error IS NULL THEN NULL ELSE NEW.error->>'message' END)::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER uploads_notify AFTER INSERT OR UPDATE ON uploads FOR EACH ROW EXECUTE FUNCTION mediavault_notify_upload();

CREATE FUNCTION mediavault_notify_preview() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify('mediavault_events', json_build_object(
      'type', 'preview', 'sha256', NEW.sha256, 'profile', NEW.profile, 'status', NEW.status,
      'error', CASE WHEN NEW.error IS NULL THEN NULL ELSE NEW.error->>'message' END)::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER previews_notify AFTER INSERT OR UPDATE ON previews FOR EACH ROW EXECUTE FUNCTION mediavault_notify_preview();

CREATE FUNCTION mediavault_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
    PERFORM pg_notify('mediavault_events', json_build_object(
      'type', 'job', 'id', NEW.id, 'organizationId', NEW.organization_id, 'kind', NEW.kind,
      'subject', NEW.subject, 'state', NEW.state, 'attempts', NEW.attempts)::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION mediavault_notify_job();
