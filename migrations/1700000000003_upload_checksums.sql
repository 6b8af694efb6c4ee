-- Up Migration
-- Uploads into stores that verify part checksums (s3) record it: every part URL is then
-- presigned for the part's sha256, and completion passes the stored checksums back.
ALTER TABLE uploads ADD COLUMN checksum_algorithm text CHECK (checksum_algorithm IN ('SHA256'));
CREATE INDEX uploads_status_expires_idx ON uploads (status, expires_at);
