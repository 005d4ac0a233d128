// A signing link for a flow that waits for a person, made on the client side: for the operator who
// sends it by hand (`trustflow signing-link`), when the alert sink is not where the person is, and for
// the demo. The same sealed token the worker puts in its alerts (common/signing-link.ts), under the
// same TRUSTFLOW_SIGNING_LINK_KEY; valid until the request's deadline, used up once it is signed.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { InvalidInputError } from '../common/errors.js';
import { sealLinkToken, signingLinkUrl } from '../common/signing-link.js';
import type { SigningPageSettings } from '../common/signing-page-settings.js';
import { PERSON_SIGNING_QUERY, type PersonSigningView } from '../flows/person-signing/person-signing.contract.js';

export interface SigningLinkOutcome {
  /** `<page>/sign#<token>`: a secret, for the person only. */
  link: string;
  role: string;
  requestedAt: string;
  /** The link is dead after this. */
  expiresAt: string;
  dataSha256: string | null;
}

export async function signingLinkFor(client: Client, workflowId: string, settings: SigningPageSettings): Promise<SigningLinkOutcome> {
  let view: PersonSigningView;
  try {
    view = await client.workflow.getHandle(workflowId).query<PersonSigningView>(PERSON_SIGNING_QUERY);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new InvalidInputError(`no workflow ${workflowId}: check the id (trustflow status lists it)`);
    if ((err as Error).name === 'QueryNotRegisteredError' || /not registered|unknown query/i.test((err as Error).message))
      throw new InvalidInputError(
        `workflow ${workflowId} does not wait for a person: only flows with signer.kind 'person' have signing links`,
      );
    throw err;
  }
  if (view.state !== 'waiting' && view.state !== 'checking')
    throw new InvalidInputError(
      `workflow ${workflowId} no longer waits for a signature (${view.state === 'signed' ? 'it was signed' : view.state === 'expired' ? 'its deadline passed' : 'it ended'}): no link to send`,
    );
  const expiresAt = new Date(view.deadline);
  const token = sealLinkToken(settings.linkKey, { workflowId, requestId: view.requestId, expiresAt });
  return {
    link: signingLinkUrl(settings.pageUrl, token),
    role: view.role,
    requestedAt: view.requestedAt,
    expiresAt: view.deadline,
    dataSha256: view.challenge?.sha256 ?? null,
  };
}
