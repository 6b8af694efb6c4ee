-- Up Migration
-- The whole catalogue of the design. Forward-only: later changes are new files.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  email text NOT NULL,
  name text NOT NULL,
  -- organization admins hold the admin role on every project of their organization
  is_org_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, email)
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  name text NOT NULL,
  -- sha256 of the token; the token itself is shown once and never stored
  token_hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  client_id uuid NOT NULL REFERENCES clients(id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, name)
);

CREATE TABLE memberships (
  project_id uuid NOT NULL REFERENCES projects(id),
  user_id uuid NOT NULL REFERENCES users(id),
  role text NOT NULL CHECK (role IN ('admin', 'editor', 'reviewer', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE collections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects(id),
  parent_id uuid REFERENCES collections(id),
  name text NOT NULL,
  -- full slash-separated path inside the project, NFC, unique per project
  path text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, path)
);

CREATE TABLE masters (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL,
  storage_key text NOT NULL,
  retain_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  project_id uuid NOT NULL REFERENCES projects(id),
  collection_id uuid REFERENCES collections(id),
  name text NOT NULL,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_project_created_idx ON assets (project_id, created_at);
CREATE UNIQUE INDEX assets_name_in_collection_idx
  ON assets (project_id, coalesce(collection_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

CREATE TABLE versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid NOT NULL REFERENCES assets(id),
  number integer NOT NULL CHECK (number >= 1),
  sha256 text NOT NULL REFERENCES masters(sha256),
  size bigint NOT NULL,
  original_name text NOT NULL,
  content_type text,
  meta jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (asset_id, number),
  -- the same bytes promoted twice into one asset are one version
  UNIQUE (asset_id, sha256)
);
CREATE INDEX versions_sha256_idx ON versions (sha256);

CREATE TABLE sidecars (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  version_id uuid NOT NULL REFERENCES versions(id),
  kind text NOT NULL,
  name text NOT NULL,
  storage_key text NOT NULL,
  sha256 text,
  meta jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sidecars_version_idx ON sidecars (version_id);

CREATE TABLE uploads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  project_id uuid NOT NULL REFERENCES projects(id),
  user_id uuid NOT NULL REFERENCES users(id),
  name text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  content_type text,
  declared_sha256 text,
  staging_key text NOT NULL UNIQUE,
  storage_upload_id text,
  part_size bigint NOT NULL,
  part_count integer NOT NULL,
  status text NOT NULL CHECK (status IN ('uploading', 'uploaded', 'promoting', 'promoted', 'failed', 'aborted')),
  mapping jsonb,
  error jsonb,
  asset_id uuid REFERENCES assets(id),
  version_id uuid REFERENCES versions(id),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_org_status_idx ON uploads (organization_id, status);

CREATE TABLE previews (
  sha256 text NOT NULL REFERENCES masters(sha256),
  profile text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'building', 'ready', 'failed')),
  encoder jsonb,
  outputs jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sha256, profile)
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES organizations(id),
  kind text NOT NULL,
  -- what the job works on: an upload id, a sha256, ...
  subject text NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'active', 'completed', 'failed')),
  queue_job_id text,
  attempts integer NOT NULL DEFAULT 0,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_subject_idx ON jobs (kind, subject);

CREATE TABLE shares (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  asset_id uuid NOT NULL REFERENCES assets(id),
  -- sha256 of the link token; the token is shown once
  token bytea NOT NULL,
  password_hash text,
  expires_at timestamptz,
  allow_download boolean NOT NULL DEFAULT false,
  watermark text,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE UNIQUE INDEX shares_token_idx ON shares (token);

CREATE TABLE comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid NOT NULL REFERENCES assets(id),
  version_id uuid REFERENCES versions(id),
  parent_id uuid REFERENCES comments(id),
  author_user_id uuid REFERENCES users(id),
  author_name text,
  body text NOT NULL,
  -- frame number at the version's rational frame rate; out is the optional end of a range
  timecode bigint,
  timecode_out bigint,
  rate_num integer,
  rate_den integer,
  resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_asset_timecode_idx ON comments (asset_id, timecode);

CREATE TABLE activities (
  id bigserial PRIMARY KEY,
  organization_id uuid REFERENCES organizations(id),
  actor_user_id uuid REFERENCES users(id),
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  project_id uuid REFERENCES projects(id),
  request_id text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_org_created_idx ON activities (organization_id, created_at);
CREATE INDEX activities_subject_idx ON activities (subject_type, subject_id);
