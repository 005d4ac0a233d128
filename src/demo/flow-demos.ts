// `npm start`'s demo of every flow the registry lists (its `flow` kind), in the registry's order: the
// workflow id from the flow's CLI name, the input from the sandbox's examples, started through
// startFlow like any service would. What each one prints, and the operator's part where a flow waits
// for one (KPSIS), is below, one entry per flow: the compiler asks for an entry for every flow the
// registry lists. A flow without an example (Kontur without gost-engine) is skipped, saying why.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { executeFlow, flows, startFlow, submitKpsisCertificate } from '../client/flows.js';
import { workflowFunctions } from '../flows/contracts.js';
import { workflowTypesOf, type FlowType } from '../flows/registry.js';
import { issueSandboxCertificate, sandboxAdmin, type Sandbox, type SandboxExamples } from '../sandbox/index.js';

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

/** The demo of every flow, in the registry's order. */
export function flowDemos(client: Client, sandbox: Sandbox, taskQueue: string): Demo[] {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
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
