// `npm start`'s demo of every flow the registry lists (its `flow` kind), in the registry's order: the
// workflow id from the flow's CLI name, the input from the sandbox's examples, started through
// startFlow like any service would. What each one prints, and the operator's part where a flow waits
// for one (KPSIS), is below, one entry per flow: the compiler asks for an entry for every flow the
// registry lists. A flow without an example (Kontur without gost-engine) is skipped, saying why.
// After them, a sign-in a person signs on the signing page (personSignIn below).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { executeFlow, flows, startFlow, submitKpsisCertificate } from '../client/flows.js';
import { signingLinkFor, type SigningLinkOutcome } from '../client/signing-links.js';
import type { SigningPageSettings } from '../common/signing-page-settings.js';
import { workflowFunctions } from '../flows/contracts.js';
import type { MptSignInResult } from '../flows/ismpt/mpt-sign-in.contract.js';
import {
  PERSON_SIGNING_QUERY,
  type PersonSigningView,
  type SubmitPersonSignatureResult,
} from '../flows/person-signing/person-signing.contract.js';
import { workflowTypesOf, type FlowType } from '../flows/registry.js';
import { issueSandboxCertificate, sandboxAdmin, type Sandbox, type SandboxExamples } from '../sandbox/index.js';
import { ncalayerBasicsSign } from './ncalayer-client.js';

export interface Demo {
  flow: FlowType;
  workflowId: string;
  run: (workflowId: string) => Promise<string>;
  skipped?: string;
}

interface DemoContext {
  client: Client;
  sandbox: Sandbox;
  taskQueue: string;
}

type DemoOf<T extends FlowType> = {
  /** Runs the flow and says what came out (never a token or personal data). */
  run(ctx: DemoContext, o: { workflowId: string; input: NonNullable<SandboxExamples[T]>; taskQueue: string }): Promise<string>;
  /** Why there is no example, when the sandbox may have none. */
  withoutExample?: string;
};

const demos: { [T in FlowType]: DemoOf<T> } = {
  mptSignIn: {
    run: async ({ client }, o) => {
      const r = await executeFlow(client, workflowFunctions.mptSignIn, o);
      return `token (${r.token.length} chars) valid until ${r.expiresAt}`;
    },
  },
  konturSignIn: {
    run: async ({ client }, o) => {
      const r = await executeFlow(client, workflowFunctions.konturSignIn, o);
      return `session (sid ${r.sid.length} chars) valid until ${r.expiresAt}`;
    },
    withoutExample: 'needs gost-engine: apt-get install libengine-gost-openssl',
  },
  kiscVerifyIdentity: {
    run: async ({ client, sandbox }, o) => {
      const r = await executeFlow(client, workflowFunctions.kiscVerifyIdentity, o);
      const billed = (await sandboxAdmin(sandbox.simulators.kisc.adminBaseUrl, 'state')).billedPerKey[r.idempotencyKey];
      return `${r.outcome} (similarity ${r.similarity.toFixed(3)}, ${r.vendor}), ${Object.keys(r.personalData ?? {}).length} personal-data fields; billed ${billed}x`;
    },
  },
  kiscReconcile: {
    run: async ({ client }, o) => {
      const r = await executeFlow(client, workflowFunctions.kiscReconcile, o);
      const earlier = r.missing.length ? ' (missing = earlier runs: the sandbox ledger starts empty, Temporal remembers)' : '';
      return `${r.matched}/${r.reported} charges matched; ${r.missing.length} missing${earlier}, ${r.unexpected.length} unexpected, ${r.chargedWithoutResult.length} without result`;
    },
  },
  cipherSign: {
    run: async ({ client, sandbox }, o) => {
      const r = await executeFlow(client, workflowFunctions.cipherSign, o);
      const open = (await sandboxAdmin(sandbox.simulators.cipher.adminBaseUrl, 'state')).openTickets;
      return `CMS signature ${r.signatureBytes} bytes by ${r.signer.owner} (key valid ${r.signer.daysLeft} more days); open tickets: ${open}`;
    },
  },
  cipherInspectKeyStore: {
    run: async ({ client }, o) => {
      const r = await executeFlow(client, workflowFunctions.cipherInspectKeyStore, o);
      const days = (k: typeof r.signature) => (k.certificate ? `${k.certificate.daysLeft} days left` : 'no certificate');
      return `signature key ${r.signature.state} (${days(r.signature)}), key agreement ${r.keyAgreement.state} (${days(r.keyAgreement)}); ${r.warnings.length} warnings`;
    },
  },
  kpsisIssueCertificate: {
    // Plays the operator: the request goes to the sandbox CA (NCES stand-in), its certificate back to the flow.
    run: async ({ client, sandbox }, o) => {
      const handle = await startFlow(client, workflowFunctions.kpsisIssueCertificate, o);
      const request = join(o.input.artifactsDir, 'cert_req.req');
      for (let i = 0; !existsSync(request); i++) {
        if (i > 600) throw new Error('the certificate request did not appear');
        await new Promise((r) => setTimeout(r, 50));
      }
      await submitKpsisCertificate(
        client,
        o.workflowId,
        await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(request)),
      );
      const r = await handle.result();
      return `${r.outcome}: serial ${r.certificate!.serialNumber}, valid to ${r.certificate!.notAfter}; ${r.artifacts.shards.length} shards (any ${o.input.keyParam.thresholdNum}) in ${o.input.artifactsDir}`;
    },
  },
};

/** What makes this run's workflow ids new (a persistent dev server keeps earlier runs'): the start time, to the second. */
export function demoStamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
}

/** The demo of every flow, in the registry's order. */
export function flowDemos(client: Client, sandbox: Sandbox, taskQueue: string, stamp = demoStamp()): Demo[] {
  const cliName = (type: FlowType) => Object.keys(flows).find((n) => flows[n]!.contract.workflowType === type)!;
  return workflowTypesOf('flow').map(<T extends FlowType>(flow: T): Demo => {
    const input = sandbox.manifest.examples[flow] as NonNullable<SandboxExamples[T]> | undefined;
    const demo = demos[flow] as DemoOf<T>;
    return {
      flow,
      workflowId: `demo-${cliName(flow)}-${stamp}`,
      ...(input ? {} : { skipped: demo.withoutExample ?? 'no example in the sandbox' }),
      run: (workflowId) => demo.run({ client, sandbox, taskQueue }, { workflowId, input: input!, taskQueue }),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// A person signs

export interface PersonSignIn {
  workflowId: string;
  handle: WorkflowHandle<typeof workflowFunctions.mptSignIn>;
  /** A fresh link to the flow's request (the worker sent its own to the alert receiver). */
  link: SigningLinkOutcome;
}

/** How long the flow has to open its request (fetch the challenge, send the link) before the demo gives up. */
const REQUEST_OPEN_MS = 20_000;

/**
 * Starts an mptSignIn whose signer is the sandbox's person (the director, in the sandbox's NCALayer),
 * waits until its request is open (the challenge fetched, the link sent), and makes a link to it.
 */
export async function startPersonSignIn(
  client: Client,
  sandbox: Sandbox,
  o: { workflowId: string; taskQueue: string; signingPage: SigningPageSettings; deadline: string },
): Promise<PersonSignIn> {
  const input = {
    baseUrl: sandbox.manifest.examples.mptSignIn.baseUrl,
    signer: { ...sandbox.manifest.ncalayer.personSigner, deadline: o.deadline },
  };
  const handle = await startFlow(client, workflowFunctions.mptSignIn, { workflowId: o.workflowId, input, taskQueue: o.taskQueue });
  let last = 'no answer yet';
  for (const giveUpAt = Date.now() + REQUEST_OPEN_MS; ;) {
    // Until its first workflow task ran the flow answers no query: asked again.
    const view = await handle.query<PersonSigningView>(PERSON_SIGNING_QUERY).catch((err: Error) => {
      last = err.message;
      return undefined;
    });
    if (view?.challenge) break;
    if (!view && (await handle.describe()).status.name !== 'RUNNING') {
      await handle.result(); // its failure, as it is
      throw new Error('the flow ended before it asked for a signature');
    }
    if (Date.now() >= giveUpAt) throw new Error(`the flow did not open its signing request within ${REQUEST_OPEN_MS / 1000} s (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { workflowId: o.workflowId, handle, link: await signingLinkFor(client, o.workflowId, o.signingPage) };
}

/**
 * Plays the person without a browser, through the signing page's API exactly as the page calls it:
 * POST api/request {token} for the challenge, basics.sign in NCALayer (the sandbox's), POST api/sign
 * {token, challengeId, cms}. The signer the flow accepted, or an error saying what refused.
 */
export async function signAsThePerson(link: string): Promise<SubmitPersonSignatureResult['signer']> {
  const [page, token] = link.split('#') as [string, string];
  const post = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, page), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(page).origin },
      body: JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's answers, read field by field below
    const json = (await res.json().catch(() => ({}))) as any;
    if (res.status === 422) throw new Error(`the flow refused the signature: ${json.refused?.reason}: ${json.refused?.message}`);
    if (!res.ok) throw new Error(`signing page ${path}: HTTP ${res.status} ${json.error?.code ?? ''}: ${json.error?.message ?? ''}`);
    return json;
  };
  const { request, ncalayerUrl } = (await post('api/request', { token })) as {
    request: Omit<PersonSigningView, 'requestId'>;
    ncalayerUrl: string;
  };
  if (!request.challenge) throw new Error('the signing request has no challenge to sign yet');
  const { expected } = request;
  const cms = await ncalayerBasicsSign(ncalayerUrl, {
    allowedStorages: expected.allowedStorages && expected.allowedStorages.length > 0 ? expected.allowedStorages : null,
    format: 'cms',
    data: request.challenge.dataBase64,
    signingParams: { decode: true, encapsulate: true, digested: false },
    signerParams: {
      extKeyUsageOids: expected.extKeyUsage,
      ...(expected.bin ? { bin: expected.bin } : {}),
      ...(expected.testKeys ? { chain: [] } : {}),
    },
    locale: request.locale,
  });
  const accepted = (await post('api/sign', { token, challengeId: request.challenge.id, cms })) as SubmitPersonSignatureResult;
  return accepted.signer;
}

/** The result row's text, as mptSignIn's own demo says it (never the token). */
export function describePersonResult(r: MptSignInResult): string {
  return `token (${r.token.length} chars) valid until ${r.expiresAt}`;
}
