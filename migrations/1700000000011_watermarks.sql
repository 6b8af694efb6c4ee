-- Up Migration
-- Watermarked rendition sets: what a watermarked share plays and downloads, burnt from the
-- master by the worker. One row per key, a hash of the master's sha256 and the rendered
-- watermark (core/src/watermark.ts), so equal watermarks of the same content are built once.
-- Its files live under watermarks/<sha256>/<key>/ in the previews store, apart from the clean
-- preview. Status changes follow core/src/transitions.ts (watermarkTransitions).
CREATE TABLE watermarked_sets (
  key text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{32}$'),
  sha256 text NOT NULL REFERENCES masters(sha256),
  -- what is burnt in: { text, position, opacity, size }
  watermark jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'building', 'ready', 'failed')),
  encoder jsonb,
  outputs jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watermarked_sets_sha256_idx ON watermarked_sets (sha256);

-- Published like preview status changes (migration 0002), so a page waiting for its first
-- viewer's set ("preparing") learns when it is ready. The text is not sent: it may name the viewer.
CREATE FUNCTION mediavault_notify_watermarked_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify('mediavault_events', json_build_object(
      'type', 'watermark', 'sha256', NEW.sha256, 'key', NEW.key, 'status', NEW.status,
      'error', CASE WHEN NEW.error IS NULL THEN NULL ELSE NEW.error->>'message' END)::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER watermarked_sets_notify AFTER INSERT OR UPDATE ON watermarked_sets
  FOR EACH ROW EXECUTE FUNCTION mediavault_notify_watermarked_set();
