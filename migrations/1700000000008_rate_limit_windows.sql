-- Up Migration
-- Rate-limit windows shared by every api process (no Redis): one row per key (token or
-- address, and the kind of request), counting hits until the window ends. Unlogged: counts
-- need no crash safety, and skipping the WAL keeps a write per request cheap.
CREATE UNLOGGED TABLE rate_limit_windows (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  window_ends timestamptz NOT NULL
);
