-- Up Migration
-- A revoked token is refused by the next request at once (every request looks its token up);
-- its open WebSockets are closed by the api process holding them, which learns of the
-- revocation on the events channel, whoever revoked it and on whichever process.
CREATE FUNCTION mediavault_notify_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
    PERFORM pg_notify('mediavault_events', json_build_object('type', 'token', 'id', NEW.id, 'revoked', true)::text);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER api_tokens_notify_revoked AFTER UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION mediavault_notify_token_revoked();
