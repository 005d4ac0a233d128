// The KISC simulator behaves like the memo's identity exchange: one ledger row per idempotency key,
// 409 for a reused key, photo comparison, strict input checks that bill nothing, the drop fault
// (billed, then no answer), signed personal-data requests on all three paths, the transactions
// report in Almaty time and the monthly act as a real ZIP; the admin API and the API keep to their ports.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isValidIin, withIinCheckDigit } from '../../src/common/iin.js';
import { ProviderHttpError, ProviderNetworkError } from '../../src/common/errors.js';
import { createLogger } from '../../src/common/logger.js';
import { extractZip } from '../../src/client/cli/zip.js';
import { signDetachedJws } from '../../src/crypto/jws.js';
import { openPkcs12File, type SoftwareKey } from '../../src/crypto/keys/pkcs12.js';
import { KiscClient, transactionTimeToIso } from '../../src/providers/kisc/index.js';
import { closeMutualTlsAgents, openMutualTls, type MutualTlsIdentity } from '../../src/providers/mutual-tls.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { resolveSecret } from '../../src/secrets/resolve.js';

interface LedgerRow {
  key: string;
  participant: string;
  vendor: string;
  similarity: number;
  billedAt: string;
}
interface KiscState {
  now: string;
  billing: LedgerRow[];
  billedPerKey: Record<string, number>;
  verifications: number;
  dataCalls: Record<string, number>;
  rejectedSignatures: number;
  calls: Record<string, number>;
}

const CONSENT = JSON.stringify('Я, Сарсенбаев Ерлан Маратұлы, согласен на получение и обработку моих персональных данных.');
const pad = (n: number) => String(n).padStart(2, '0');
/** Independent of the simulator: UTC+5 wall-clock fields of an instant. */
const almaty = (iso: string) => {
  const t = new Date(Date.parse(iso) + 5 * 3600_000);
  return {
    y: t.getUTCFullYear(),
    m: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    hh: t.getUTCHours(),
    mi: t.getUTCMinutes(),
    ss: t.getUTCSeconds(),
  };
};

describe('KISC simulator', () => {
  let dir: string;
  let sandbox: Sandbox;
  let admin: string;
  let baseUrl: string;
  let identity: MutualTlsIdentity;
  let client: KiscClient;
  let signingKey: SoftwareKey;
  let tlsKey: SoftwareKey;
  let alice: { iin: string; photo: Buffer; otherPhoto: Buffer };
  let bob: { iin: string; photo: Buffer; otherPhoto: Buffer };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-kiscsim-'));
    sandbox = await startSandbox({ dir: join(dir, 'sandbox'), logger: createLogger({ level: 'silent' }) });
    admin = sandbox.simulators.kisc.adminBaseUrl;
    baseUrl = sandbox.manifest.services.kisc!.baseUrl;
    const tls = sandbox.manifest.kisc.tlsKeys['kisc-tls']!;
    identity = await openMutualTls({ p12: tls.p12, password: tls.password, ca: sandbox.manifest.kisc.ca }, resolveSecret, {
      provider: 'KISC',
      renewalAdvice: 'renew',
      warn: () => {},
    });
    client = new KiscClient({ baseUrl, agent: identity.agent });
    signingKey = await openPkcs12File(sandbox.manifest.kisc.signingKey.p12, sandbox.manifest.kisc.signingKey.password, resolveSecret);
    tlsKey = await openPkcs12File(tls.p12, tls.password, resolveSecret);
    const person = async (i: number) => {
      const p = sandbox.manifest.kisc.persons[i]!;
      return {
        iin: p.iin,
        photo: await readFile(p.photo.slice('file:'.length)),
        otherPhoto: await readFile(p.otherPhoto.slice('file:'.length)),
      };
    };
    [alice, bob] = [await person(0), await person(1)];
    assert.notEqual(alice.iin, bob.iin);
  });
  after(async () => {
    closeMutualTlsAgents();
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const state = (): Promise<KiscState> => sandboxAdmin(admin, 'state');
  const verify = (iin: string, photo: Buffer, key = randomUUID(), vendorId = 1, contentType: 'image/png' | 'image/jpeg' = 'image/png') =>
    client.verify({ iin, vendorId, idempotencyKey: key, photo, contentType });
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) =>
        e instanceof ProviderHttpError ? `${e.status} ${e.providerMessage ?? ''}`.trim() : `${(e as Error).name}: ${(e as Error).message}`,
    );
  /** A raw request through the registered participant's TLS identity. */
  const raw = (method: string, path: string, o: { headers?: Record<string, string>; body?: Buffer; url?: string } = {}) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = request(o.url ?? `${baseUrl}${path}`, { method, agent: identity.agent, headers: o.headers ?? {} }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode!, json });
        });
      });
      req.on('error', reject);
      req.end(o.body);
    });
  const sign = (body: Buffer, key = signingKey) => signDetachedJws(body, key.privateKey, { alg: 'RS256', payloadMode: 'unencoded' });

  it('the same key and IIN twice: the same result and one ledger row', async () => {
    const key = randomUUID();
    const before = await state();
    const first = await verify(alice.iin, alice.photo, key);
    const second = await verify(alice.iin, alice.photo, key);
    assert.deepEqual(second, first);
    assert.equal(first.x_idempotency_key, key);
    assert.equal(first.iin, alice.iin);
    assert.equal(first.vendor, 'VisionLabs');
    const s = await state();
    assert.equal(s.billedPerKey[key], 1);
    assert.equal(s.billing.length, before.billing.length + 1);
    assert.equal(s.calls['POST /verify'], (before.calls['POST /verify'] ?? 0) + 2);

    // The same key for the other person: 409, still one row.
    assert.equal(await statusOf(verify(bob.iin, bob.photo, key)), '409 x-idempotency-key was already used');
    const s2 = await state();
    assert.equal(s2.billedPerKey[key], 1);
    assert.equal(s2.billing.length, s.billing.length);
  });

  it("config duplicateKey 'conflict' answers 409 to a repeated key", async () => {
    const key = randomUUID();
    await verify(alice.iin, alice.photo, key);
    await sandboxAdmin(admin, 'config', { duplicateKey: 'conflict' });
    try {
      assert.equal(await statusOf(verify(alice.iin, alice.photo, key)), '409 x-idempotency-key was already used');
    } finally {
      await sandboxAdmin(admin, 'config', { duplicateKey: 'return-stored' });
    }
    assert.equal((await state()).billedPerKey[key], 1);
    assert.equal(await statusOf(verify(alice.iin, alice.photo, key)), 'ok', 'back to returning the stored result');
  });

  it('GET /verify: undefined for an unknown key, the stored result for a known one', async () => {
    assert.equal(await client.lookupVerification(randomUUID(), alice.iin), undefined);
    const key = randomUUID();
    const v = await verify(bob.iin, bob.photo, key, 3);
    assert.deepEqual(await client.lookupVerification(key, bob.iin), v);
    assert.equal(v.vendor, 'Verigram');
  });

  it("the person's own photo scores at least 0.95, another photo below 0.1", async () => {
    for (const p of [alice, bob]) {
      const own = await verify(p.iin, p.photo);
      const other = await verify(p.iin, p.otherPhoto);
      assert.ok(own.result >= 0.95 && own.result <= 1, `own photo: ${own.result}`);
      assert.ok(other.result < 0.1 && other.result >= 0, `other photo: ${other.result}`);
    }
    // Another person's state-record photo is not this person's face either.
    assert.ok((await verify(alice.iin, bob.photo)).result < 0.1);
  });

  it('bad input bills nothing: non-PNG bytes as image/png, an invalid IIN, an IIN not in the state record', async () => {
    const before = await state();
    const key1 = randomUUID();
    assert.equal(
      await statusOf(verify(alice.iin, Buffer.from('GIF89a not a png at all'), key1)),
      '400 body must be a PNG or JPEG image matching Content-Type',
    );
    assert.equal(
      await statusOf(verify(alice.iin, alice.photo, randomUUID(), 1, 'image/jpeg')),
      '400 body must be a PNG or JPEG image matching Content-Type',
      'a PNG labelled JPEG',
    );

    const badIin = alice.iin.slice(0, 11) + String((Number(alice.iin[11]) + 1) % 10);
    assert.equal(isValidIin(badIin), false);
    const key2 = randomUUID();
    assert.equal(await statusOf(verify(badIin, alice.photo, key2)), '400 iin is not a valid IIN');

    let unknown: string | undefined;
    for (let n = 10_000_000_000; !unknown; n++) {
      const candidate = withIinCheckDigit(String(n));
      if (candidate && candidate !== alice.iin && candidate !== bob.iin) unknown = candidate;
    }
    assert.equal(isValidIin(unknown), true);
    const key3 = randomUUID();
    assert.equal(await statusOf(verify(unknown, alice.photo, key3)), '404 no photo in the state record for this IIN');

    const s = await state();
    assert.equal(s.billing.length, before.billing.length);
    assert.equal(s.verifications, before.verifications);
    for (const k of [key1, key2, key3]) assert.equal(s.billedPerKey[k], undefined, k);
    // Nothing stored either: a later lookup finds nothing.
    assert.equal(await client.lookupVerification(key3, unknown), undefined);
  });

  it('the drop fault on POST /verify bills, the client sees a network error, GET /verify then has the result', async () => {
    await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'drop' });
    const key = randomUUID();
    let err: unknown;
    await verify(alice.iin, alice.photo, key).catch((e: unknown) => (err = e));
    assert.ok(err instanceof ProviderNetworkError, `expected ProviderNetworkError, got ${String(err)}`);
    assert.equal(err.retryable, true);
    assert.equal(err.requestSurelyNotSent, false, 'the request may have been processed');
    const s = await state();
    assert.equal(s.billedPerKey[key], 1);
    const row = s.billing.find((r) => r.key === key)!;
    const found = await client.lookupVerification(key, alice.iin);
    assert.ok(found);
    assert.equal(found.result, row.similarity);
    assert.ok(found.result >= 0.95);
    assert.equal((await state()).billedPerKey[key], 1, 'the lookup is not billed');
  });

  it('/data, /personal_data and /personel_data return the personal data for a signed consent; mcdb=1 adds mobilephone', async () => {
    const key = randomUUID();
    await verify(alice.iin, alice.photo, key);
    const body = Buffer.from(CONSENT, 'utf8');
    const jws = await sign(body);

    const data = await client.personalData({ idempotencyKey: key, body, jwsSignature: jws, mcdb: false });
    assert.equal(data.iin, alice.iin);
    assert.equal(data.last_name, 'САРСЕНБАЕВ');
    assert.equal(data.birth_date, '1989-01-01');
    assert.equal('mobilephone' in data, false);
    const withPhone = await client.personalData({ idempotencyKey: key, body, jwsSignature: jws, mcdb: true });
    assert.equal(withPhone.mobilephone, '+77011234567');
    assert.deepEqual({ ...withPhone, mobilephone: undefined }, { ...data, mobilephone: undefined });

    for (const path of ['/personal_data', '/personel_data', '/data?mcdb=1']) {
      const r = await raw('POST', path, {
        headers: { 'content-type': 'application/json', 'x-idempotency-key': key, 'x-jws-signature': jws },
        body,
      });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.last_name, 'САРСЕНБАЕВ', path);
      assert.equal(r.json.mobilephone, path.endsWith('mcdb=1') ? '+77011234567' : undefined, path);
    }
    assert.equal((await state()).dataCalls[key], 5);
    assert.equal((await state()).billedPerKey[key], 1, 'personal data is not billed again');
  });

  it('a JWS over other bytes, or by another key, is refused with 401 and counted', async () => {
    const key = randomUUID();
    await verify(bob.iin, bob.photo, key);
    const body = Buffer.from(CONSENT, 'utf8');
    const before = (await state()).rejectedSignatures;

    const otherBytes = await sign(Buffer.from(CONSENT + ' ', 'utf8'));
    assert.equal(
      await statusOf(client.personalData({ idempotencyKey: key, body, jwsSignature: otherBytes, mcdb: false })),
      '401 x-jws-signature does not verify against the participant signing certificate',
    );
    assert.equal((await state()).rejectedSignatures, before + 1);

    const byTlsKey = await sign(body, tlsKey);
    assert.equal(
      await statusOf(client.personalData({ idempotencyKey: key, body, jwsSignature: byTlsKey, mcdb: false })),
      '401 x-jws-signature does not verify against the participant signing certificate',
    );
    assert.equal((await state()).rejectedSignatures, before + 2);
    assert.equal((await state()).dataCalls[key], undefined);

    // The right signature over the same bytes works, so the 401s were about the signature alone.
    const ok = await client.personalData({ idempotencyKey: key, body, jwsSignature: await sign(body), mcdb: false });
    assert.equal(ok.iin, bob.iin);
  });

  it('/data for a key with no verification: 404', async () => {
    const body = Buffer.from(CONSENT, 'utf8');
    assert.equal(
      await statusOf(client.personalData({ idempotencyKey: randomUUID(), body, jwsSignature: await sign(body), mcdb: false })),
      '404 verification not found for x-idempotency-key',
    );
  });

  it('the transactions report: one row per billed key, datetime in Almaty time, filtered by date', async () => {
    const key = randomUUID();
    await verify(alice.iin, alice.photo, key, 2);
    const s = await state();
    const a = almaty(s.now);
    const today = `${a.y}${pad(a.m)}${pad(a.d)}`;
    const rows = await client.transactions(today, today);
    const ledger = s.billing.filter((r) => r.participant === 'K9000666');
    assert.ok(ledger.length >= 10, `ledger has ${ledger.length} rows`);
    assert.deepEqual(rows.map((r) => r.x_idempotency_key).sort(), ledger.map((r) => r.key).sort());
    for (const r of rows) {
      const l = ledger.find((x) => x.key === r.x_idempotency_key)!;
      const t = almaty(l.billedAt);
      assert.equal(r.datetime, `${pad(t.d)}.${pad(t.m)}.${t.y} ${pad(t.hh)}:${pad(t.mi)}:${pad(t.ss)}`);
      assert.equal(transactionTimeToIso(r.datetime), new Date(Math.floor(Date.parse(l.billedAt) / 1000) * 1000).toISOString());
      assert.equal(r.similarity, l.similarity);
      assert.equal(r.vendor_name, l.vendor);
    }
    assert.equal(rows.find((r) => r.x_idempotency_key === key)!.vendor_name, 'FORENSICS');

    assert.deepEqual(await client.transactions('20200101', '20201231'), [], 'a range in the past');
    const next = new Date(Date.UTC(a.y, a.m - 1, a.d + 1));
    const tomorrow = `${next.getUTCFullYear()}${pad(next.getUTCMonth() + 1)}${pad(next.getUTCDate())}`;
    assert.deepEqual(await client.transactions(tomorrow, '20991231'), [], 'a range in the future');
    assert.equal((await client.transactions('20200101', tomorrow)).length, rows.length);
    assert.equal(await statusOf(client.transactions('2020-01-01', '20201231')), '400 dates must be YYYYMMDD');
  });

  it('the monthly act is a real ZIP with one file listing every key of the current Almaty month', async () => {
    const s = await state();
    const a = almaty(s.now);
    const zip = await client.act(a.y, a.m);
    assert.equal(zip.subarray(0, 4).toString('binary'), 'PK\x03\x04');
    const files = await extractZip(zip, join(dir, 'act'));
    assert.equal(files.length, 1);
    assert.equal(files[0]!.name, `act_${a.m}-${a.m}-01_K9000666.txt`);
    const text = await readFile(files[0]!.path, 'utf8');
    const ledger = s.billing.filter((r) => r.participant === 'K9000666');
    for (const r of ledger) assert.ok(text.includes(r.key), `act lacks ${r.key}`);
    assert.match(text, new RegExp(`Итого верификаций: ${ledger.length}\\r\\n$`));
    assert.match(text, new RegExp(`за ${pad(a.m)}\\.${a.y}`));

    // The month path: padded (as the client sends it) and unpadded (the memo's example) both work.
    for (const [month, path] of [
      [a.m, `${a.y}/${a.m}`],
      [3, `${a.y}/03`],
      [3, `${a.y}/3`],
    ] as const) {
      const r = await raw('GET', `/report/act/${path}`);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
      const got = await extractZip(Buffer.from(r.json.binary, 'base64'), join(dir, `act-${path.replace('/', '-')}`));
      assert.deepEqual(
        got.map((f) => f.name),
        [`act_${month}-${month}-01_K9000666.txt`],
        path,
      );
      const content = await readFile(got[0]!.path, 'utf8');
      if (month === a.m) assert.equal(content, text, path);
      else assert.match(content, /Итого верификаций: 0\r\n$/, path);
    }
    for (const bad of [`${a.y}/13`, `${a.y}/0`, `${a.y}/003`, `26/03`]) {
      const r = await raw('GET', `/report/act/${bad}`);
      assert.equal(r.status, 400, bad);
    }
  });

  it('the admin API is not on the HTTPS port, and the API is not on the admin port', async () => {
    const origin = new URL(baseUrl).origin;
    const onHttps = await raw('GET', '', { url: `${origin}/__sandbox/state` });
    assert.equal(onHttps.status, 404);
    assert.equal(onHttps.json.error_message, 'no such endpoint: GET /__sandbox/state');
    const onHttpsPrefixed = await raw('GET', '/__sandbox/state');
    assert.equal(onHttpsPrefixed.status, 404);

    assert.notEqual(new URL(admin).port, new URL(baseUrl).port);
    const apiOnAdmin = await fetch(`${admin}/identity/1.1.0/vendors`);
    assert.equal(apiOnAdmin.status, 404);
    const body = (await apiOnAdmin.json()) as { error_message: string };
    assert.equal(body.error_message, `the admin port serves /__sandbox/ only; the API is at ${baseUrl}`);
    // The admin API itself answers on its port.
    assert.equal((await fetch(`${admin}/__sandbox/state`)).status, 200);
  });
});
