-- Up Migration
-- The fingerprint of each master: the sha256 of its first and last MiB, or of the whole object
-- when it is no larger than 2 MiB (core/src/fingerprint.ts). With the size, a client asks whether
-- a file may already be archived before it reads all of it (matchArchivedContent). Promotion
-- records it; masters of up to 2 MiB get theirs here (it is their sha256), larger ones promoted
-- before this migration from the maintenance job, which reads their two ends.
ALTER TABLE masters ADD COLUMN fingerprint text CHECK (fingerprint ~ '^[0-9a-f]{64}$');
UPDATE masters SET fingerprint = sha256 WHERE size <= 2097152;
CREATE INDEX masters_fingerprint_idx ON masters (fingerprint, size) WHERE fingerprint IS NOT NULL;
CREATE INDEX masters_without_fingerprint_idx ON masters (sha256) WHERE fingerprint IS NULL;
