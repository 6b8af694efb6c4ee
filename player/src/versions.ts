/**
 * The version switcher and the approval of the version in view: approved / changes requested /
 * none, with who decided and when. Also the list the compare menu offers.
 */
import { shortDateTime } from './dom.ts';
import type { Approval, ApprovalStatus, AssetVersion } from './review-api.ts';

export const approvalWords: Record<ApprovalStatus, string> = {
  approved: 'Approved',
  changes_requested: 'Changes requested',
  none: 'No decision',
};

/** 'v3 · A001_C002.mov' and, when decided, its state. */
export function versionLabel(version: AssetVersion): string {
  const decided =
    version.approval && version.approval.status !== 'none' ? ` · ${approvalWords[version.approval.status]}` : '';
  return `v${version.number}${decided}`;
}

/** Who decided and when: 'Approved by Ana, 3 Mar 2026, 14:05'. */
export function describeApproval(approval: Approval | null | undefined): string {
  if (!approval || approval.status === 'none' || !approval.decidedBy) return approvalWords.none;
  const at = approval.decidedAt ? `, ${shortDateTime(approval.decidedAt)}` : '';
  return `${approvalWords[approval.status]} by ${approval.decidedBy.name}${at}`;
}

/** Fills a <select> with the versions (newest first), `selectedId` chosen; versions without a preview are disabled. */
export function fillVersionSelect(
  select: HTMLSelectElement,
  versions: readonly AssetVersion[],
  selectedId: string | null,
): void {
  select.replaceChildren(
    ...[...versions]
      .sort((a, b) => b.number - a.number)
      .map((version) => {
        const option = document.createElement('option');
        option.value = version.id;
        option.textContent = versionLabel(version);
        option.disabled = version.preview?.status !== 'ready';
        option.selected = version.id === selectedId;
        return option;
      }),
  );
}

/** Shows `approval` on the approval buttons (the current state pressed) and its line. */
export function showApproval(root: HTMLElement, status: HTMLElement, approval: Approval | null | undefined): void {
  const current = approval?.status ?? 'none';
  for (const button of Array.from(root.querySelectorAll<HTMLButtonElement>('button[data-status]'))) {
    if (button.dataset.status === 'none') button.hidden = current === 'none';
    else button.setAttribute('aria-pressed', String(button.dataset.status === current));
  }
  status.textContent = describeApproval(approval);
  root.dataset.status = current;
}
