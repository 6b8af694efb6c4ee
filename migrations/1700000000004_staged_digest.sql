-- Up Migration
-- When the store read every staged byte to assemble an upload (fs), it hashed them on the
-- way: promotion compares that sha256 with the declared one instead of reading the object
-- again, provided the staged object still has the ETag it had then.
ALTER TABLE uploads ADD COLUMN staged_sha256 text CHECK (staged_sha256 ~ '^[0-9a-f]{64}$');
ALTER TABLE uploads ADD COLUMN staged_etag text;
