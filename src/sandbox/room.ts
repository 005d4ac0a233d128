// What a room (src/sandbox/<provider>/) gives the sandbox: its `setup` starts that provider's
// simulator(s) with their fixtures and returns its part of the manifest. index.ts runs the rooms in
// order and merges the parts; the manifest's shape (SandboxManifest) is declared here, in one place.
import type { z } from 'zod';
import type { Logger } from '../common/logger.js';
import type { InputOf } from '../contracts/flow-contract.js';
import type { PersonSignerSpecSchema } from '../contracts/person-signer-spec.js';
import type { flowContracts } from '../flows/contracts.js';
import type { MptKeyFileSignInInput } from '../flows/ismpt/mpt-sign-in.contract.js';
import type { GostPki } from './kontur/gost-pki.js';
import type { SandboxPki } from './pki.js';
import type { Simulator } from './simulator.js';

type AllExamples = { [K in keyof typeof flowContracts]: InputOf<(typeof flowContracts)[K]> };

/** A ready, valid input per workflow type; konturSignIn only when gost-engine is installed. */
export type SandboxExamples = Omit<AllExamples, 'konturSignIn' | 'mptSignIn'> &
  Partial<Pick<AllExamples, 'konturSignIn'>> & { mptSignIn: MptKeyFileSignInInput };

export interface SandboxManifest {
  createdAt: string;
  services: Record<string, { baseUrl: string; admin: string }>;
  ca: { certificate: string };
  keys: Record<string, { p12: string; password: string; encryption: string; iin: string; registered: boolean; subject: string }>;
  /** GOST keys for Kontur (absent when gost-engine is not installed). */
  konturKeys?: Record<
    string,
    { key: string; certificate: string; format: 'pem' | 'pkcs12'; password: string; bits: number; thumbprint: string; registered: boolean }
  >;
  /** KISC: TLS client keys (registered or not), the signing key, the KISC CA and persons of the "state record". */
  kisc: {
    ca: string;
    tlsKeys: Record<string, { p12: string; password: string; encryption: string; registered: boolean; validTo: string }>;
    signingKey: { p12: string; password: string };
    persons: { name: string; iin: string; photo: string; otherPhoto: string }[];
  };
  /** Cipher: PKCS#12 key containers (RSA stand-ins for DSTU 4145 keys) and the CA id to sign with. */
  cipher: {
    caId: string;
    ca: string;
    containers: Record<string, { file: string; password: string; notAfter: string }>;
    document: string;
  };
  /** KPSIS: the sandbox CA standing in for NCES (issue: POST <kpsis baseUrl>/api/v1/ca/issue). */
  kpsis: { caCertificate: string; caIssueUrl: string };
  /**
   * Credential lifecycle: the alert receiver (TRUSTFLOW_ALERT_WEBHOOK_URL, its secret by reference),
   * the credential CA that issues short-lived certificates, and an example inventory.
   */
  credentials: { alertWebhookUrl: string; alertWebhookSecret: string; issueUrl: string; inventory: string; rootCa: string };
  /**
   * A Kazakh GOST 34.310-2004 signing key of a legal entity (IIN, BIN) in NCA RK's GOSTKNCA_*.p12
   * layout, its certificate (PEM) and the GOST test CA (PEM) that issued it: for `trustflow cms sign`
   * (password by reference, or the file itself for `--password-env`), `cms verify --ca`, `cert verify`.
   */
  kzGost: {
    algorithm: string;
    p12: string;
    password: `file:/${string}`;
    passwordFile: string;
    certificate: string;
    caCertificate: string;
    iin: string;
    bin: string;
    validTo: string;
  };
  /**
   * NCALayer: the person's desktop app simulated, on ws:// (tests, the demo) and on wss:// with a
   * self-signed certificate (as the real app's wss://127.0.0.1:13579), sharing keys and switches. `admin`
   * is the root sandboxAdmin() takes (`POST <admin>/__sandbox/config {behaviour, key, delayMs, …}`).
   * `keys` are the person's token: every key can sign in at the IS MPT sandbox (registered there, also
   * after its reset); `wrongPerson` marks a valid key of another IIN. `caBundle` holds every CA that
   * issued them; `personSigner` is a person-signer input (PersonSignerSpec) for `defaultKey`.
   */
  ncalayer: {
    url: string;
    wssUrl: string;
    admin: string;
    caBundle: string;
    keys: Record<string, { iin: string; bin: string | null; algorithm: string; certificate: string; wrongPerson: boolean }>;
    defaultKey: string;
    personSigner: z.input<typeof PersonSignerSpecSchema>;
  };
  examples: SandboxExamples;
}

export interface SandboxOptions {
  dir: string;
  /** Fixed ports per service; 0 or absent = any free port. */
  ports?: {
    ismpt?: number;
    kontur?: number;
    kisc?: number;
    kiscAdmin?: number;
    cipher?: number;
    kpsis?: number;
    alerts?: number;
    /** NCALayer's ws://, wss:// (the real app's is 13579) and admin ports. */
    ncalayer?: number;
    ncalayerWss?: number;
    ncalayerAdmin?: number;
  };
  logger?: Logger;
}

/** What the sandbox needs of a started service: its URLs (a manifest.services entry) and how to stop it. */
export interface SandboxService {
  readonly baseUrl: string;
  /** Root of its admin API (`<adminBaseUrl>/__sandbox/...`). */
  readonly adminBaseUrl: string;
  close(): Promise<void>;
}

/** The NCALayer simulator as a service: baseUrl is its ws:// URL. */
export interface NcaLayerService extends SandboxService {
  readonly wssUrl: string;
}

/** The simulators by service name (the keys of manifest.services). */
export interface SandboxSimulators {
  ismpt: Simulator;
  kisc: Simulator;
  cipher: Simulator;
  kpsis: Simulator;
  /** The alert webhook receiver and short-lived credential CA. */
  alerts: Simulator;
  ncalayer: NcaLayerService;
  kontur?: Simulator;
}

export interface RoomContext {
  /** The sandbox directory (absolute); a room keeps its files in its own subdirectory. */
  dir: string;
  ports: NonNullable<SandboxOptions['ports']>;
  logger: Logger;
  /** The rooms started before this one, merged (absent when a room is set up alone, as in some tests). */
  earlier?: Pick<RoomPart, 'simulators' | 'manifest' | 'pki'>;
}

/** One room's part of the sandbox. A room that cannot run here (Kontur without gost-engine) returns no simulators. */
export interface RoomPart {
  /** Started simulators, by service name: each becomes a manifest.services entry. */
  simulators: Partial<SandboxSimulators>;
  /** Its sections of the manifest (keys, fixtures, CA). */
  manifest: Partial<Omit<SandboxManifest, 'createdAt' | 'services' | 'examples'>>;
  /** A ready input per workflow type the provider serves. */
  examples: Partial<SandboxExamples>;
  /** Exposed on the Sandbox object for tests. */
  pki?: SandboxPki;
  gostPki?: GostPki;
}

/** Starts a provider's simulator(s) with their fixtures. */
export type Room = (ctx: RoomContext) => Promise<RoomPart>;
