-- Up Migration
-- Small files are sent in one presigned PUT of the whole object (signed for its sha256)
-- instead of a multipart upload: one request to the store instead of three.
ALTER TABLE uploads ADD COLUMN transfer text NOT NULL DEFAULT 'multipart' CHECK (transfer IN ('multipart', 'put'));
-- A batch of small files started again (after a crash) finds its unfinished uploads by content.
CREATE INDEX uploads_resumable_idx ON uploads (project_id, declared_sha256) WHERE status IN ('uploading', 'uploaded');
