/**
 * The permission matrix: which project role may do what. Pure; the api asks
 * `can(role, action)` at every route boundary after resolving the caller's role
 * in the project the request touches.
 */

export const projectRoles = ['viewer', 'reviewer', 'editor', 'admin'] as const;
export type ProjectRole = (typeof projectRoles)[number];

export const actions = [
  'project.read',
  'asset.read',
  'playback',
  'comment.write',
  'version.approve',
  /** Delete anyone's comment (authors delete their own with comment.write). */
  'comment.moderate',
  'upload.create',
  'asset.promote',
  'preview.request',
  'share.create',
  'member.manage',
] as const;
export type Action = (typeof actions)[number];

const matrix: Record<ProjectRole, readonly Action[]> = {
  viewer: ['project.read', 'asset.read', 'playback'],
  reviewer: ['project.read', 'asset.read', 'playback', 'comment.write', 'version.approve'],
  editor: [
    'project.read',
    'asset.read',
    'playback',
    'comment.write',
    'version.approve',
    'upload.create',
    'asset.promote',
    'preview.request',
    'share.create',
  ],
  admin: actions,
};

export function can(role: ProjectRole | null | undefined, action: Action): boolean {
  if (!role) return false;
  return matrix[role].includes(action);
}

export function isProjectRole(value: string): value is ProjectRole {
  return (projectRoles as readonly string[]).includes(value);
}

/**
 * The caller's effective role in a project: organization admins are admins of
 * every project of their organization; otherwise their membership, if any.
 */
export function effectiveRole(
  caller: { isOrgAdmin: boolean },
  membershipRole: ProjectRole | null | undefined,
): ProjectRole | null {
  if (caller.isOrgAdmin) return 'admin';
  return membershipRole ?? null;
}

export function permissionMatrix(): Record<ProjectRole, Record<Action, boolean>> {
  return Object.fromEntries(
    projectRoles.map((role) => [role, Object.fromEntries(actions.map((a) => [a, can(role, a)]))]),
  ) as Record<ProjectRole, Record<Action, boolean>>;
}
