import { exitCodes } from '../exit-codes.ts';
import { withClient, type Common } from './assets.ts';
import { pickVersion } from './comments.ts';

/** The words of the command line; `none` withdraws a decision. */
export const approvalChoices = ['approved', 'changes-requested', 'none'] as const;
export type ApprovalChoice = (typeof approvalChoices)[number];

/**
 * `mediavault approve <assetId> [--version N] --status approved|changes-requested|none`: the
 * review decision on a version (the latest by default), recorded with who and when.
 */
export function runApprove(
  assetId: string,
  options: Common & { version?: number; status: ApprovalChoice },
): Promise<number> {
  return withClient(options, async (client, output) => {
    const asset = await client.getAsset({ params: { assetId } });
    const version = pickVersion(asset, options.version);
    const status = options.status === 'changes-requested' ? 'changes_requested' : options.status;
    const approval = await client.setApproval({
      params: { assetId: asset.id, versionId: version.id },
      body: { status },
    });
    output.event('summary', { assetId: asset.id, versionNumber: version.number, ...approval });
    const decision =
      approval.status === 'none'
        ? 'no decision'
        : `${approval.status === 'approved' ? 'approved' : 'changes requested'} by ${approval.decidedBy?.name} at ${approval.decidedAt}`;
    output.info(`version ${version.number} of ${asset.name}: ${decision}`);
    return exitCodes.ok;
  });
}
