// The `trustflow` command line as a person drives it, without Temporal: --help on every group and
// command, unknown flags and commands with "did you mean" and exit 2, text that fits 100 columns,
// strict dates, output files that never replace an input or an existing file unasked, and output
// that reaches a slow pipe whole.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { allCommands } from '../../src/client/cli/main.js';
import { UsageError } from '../../src/client/cli/command.js';
import { renderTable, writeOutputFile } from '../../src/client/cli/io.js';
import { parseStrictDate } from '../../src/common/strict-date.js';
import { repoRoot } from '../helpers/paths.js';

const bin = join(repoRoot, 'bin', 'trustflow.js');
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

let tmp: string;
before(async () => (tmp = await mkdtemp(join(tmpdir(), 'trustflow-cli-'))));
after(() => rm(tmp, { recursive: true, force: true }));

const tooWide = (text: string) => text.split('\n').filter((l) => l.length > 100);

describe('help', () => {
  it('trustflow --help, help, and no arguments list every command; exit 0; nothing wider than 100 columns', async () => {
    for (const args of [['--help'], ['help'], []]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, r.stderr);
      for (const c of allCommands()) assert.match(r.stdout, new RegExp(`^  ${c.path} `, 'm'), `${c.path} listed`);
      assert.deepEqual(tooWide(r.stdout), []);
    }
  });

  it('every command answers --help and -h with its usage and options (exit 0), within 100 columns', async () => {
    const commands = allCommands();
    assert.ok(commands.length >= 18, `${commands.length} commands`);
    for (const c of commands) {
      const r = await cli(...c.path.split(' '), '--help');
      assert.equal(r.code, 0, `${c.path} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: trustflow ${c.path}\\b`), c.path);
      assert.match(r.stdout, /^ {2}-h, --help +show this help$/m, c.path);
      for (const name of Object.keys(c.options)) assert.match(r.stdout, new RegExp(`--${name}\\b`), `${c.path} documents --${name}`);
      assert.deepEqual(tooWide(r.stdout), [], `${c.path} --help fits 100 columns`);
      assert.equal(r.stderr, '');
    }
    const short = await cli('cms', 'verify', '-h');
    assert.equal(short.code, 0);
    assert.match(short.stdout, /^usage: trustflow cms verify/);
    const viaHelp = await cli('help', 'token', 'ismpt');
    assert.match(viaHelp.stdout, /^usage: trustflow token ismpt/);
  });

  it('every group answers --help with its commands (exit 0); a group without a command is a usage error (exit 2)', async () => {
    for (const group of ['credentials', 'token', 'cms', 'cert', 'kisc', 'kpsis', 'kontur']) {
      const r = await cli(group, '--help');
      assert.equal(r.code, 0, r.stderr);
      for (const c of allCommands().filter((x) => x.path.startsWith(`${group} `)))
        assert.match(r.stdout, new RegExp(`trustflow ${c.path} `));
      const bare = await cli(group);
      assert.equal(bare.code, 2);
      assert.match(bare.stderr, new RegExp(`trustflow ${group} needs a command`));
    }
  });
});

describe('wrong usage: exit 2, the reason, what was probably meant', () => {
  it('a misspelled flag gets "did you mean" and the usage line, and nothing runs', async () => {
    const r = await cli('cms', 'sign', '--detatched', '--in', 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--detatched' for trustflow cms sign; did you mean --detached\?/);
    assert.match(r.stderr, /^usage: trustflow cms sign --p12 FILE/m);
    assert.doesNotMatch(r.stderr, /Unknown option|To specify a positional/, "not node's parseArgs text");
    const list = await cli('credentials', 'list', '--outptu', 'json');
    assert.equal(list.code, 2);
    assert.match(list.stderr, /did you mean --output\?/);
  });

  it('a misspelled command or group gets "did you mean"', async () => {
    const cmd = await cli('cms', 'sgin');
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown cms command 'sgin'; did you mean 'cms sign'\?/);
    const group = await cli('credentails', 'list');
    assert.equal(group.code, 2);
    assert.match(group.stderr, /unknown command 'credentails'; did you mean 'credentials'\?/);
    const flow = await cli('run', 'mpt-sigin', '--input', 'x.json');
    assert.equal(flow.code, 2);
    assert.match(flow.stderr, /unknown flow 'mpt-sigin'; did you mean 'mpt-sign-in'\?/);
  });

  it('a flag without its value, a value for a switch, a stray word and an unknown -o are refused', async () => {
    const noValue = await cli('cms', 'verify', '--in');
    assert.equal(noValue.code, 2);
    assert.match(noValue.stderr, /--in needs a value \(FILE\)/);
    const switchValue = await cli('cms', 'sign', '--detached=yes');
    assert.equal(switchValue.code, 2);
    assert.match(switchValue.stderr, /--detached is a switch and takes no value/);
    const stray = await cli('credentials', 'list', 'extra');
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /'extra': trustflow credentials list takes no positional arguments/);
    for (const args of [
      ['credentials', 'scan', '-o', 'yaml'],
      ['credentials', 'list', '-o', 'yaml'],
      ['status', 'x', '-o', 'yaml'],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /-o yaml: not an output format here; use one of table, json/);
    }
  });

  it('--password-env given something that is not a variable name (likely the password) never echoes it', async () => {
    const doc = join(tmp, 'pw-doc.txt');
    await writeFile(doc, 'x');
    for (const secret of ['p@ss word!', 'hunter2']) {
      const r = await cli('cms', 'sign', '--p12', doc, '--password-env', secret, '--in', doc, '--out', join(tmp, 'pw.p7s'));
      assert.equal(r.code, 2, r.stderr);
      assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), `'${secret}' is not echoed: ${r.stderr}`);
    }
    const unset = await cli(
      'cms',
      'sign',
      '--p12',
      doc,
      '--password-env',
      'TRUSTFLOW_TEST_UNSET_VAR',
      '--in',
      doc,
      '--out',
      join(tmp, 'pw.p7s'),
    );
    assert.equal(unset.code, 1, 'an unset variable is a secret that does not resolve, not wrong usage');
    assert.match(
      unset.stderr,
      /secret reference env:TRUSTFLOW_TEST_UNSET_VAR: environment variable TRUSTFLOW_TEST_UNSET_VAR \(--password-env\) is not set/,
    );
  });

  it('an unreadable --ca, --in or --cert names the option and the reason, not a raw ENOENT', async () => {
    const missing = join(tmp, 'nope.pem');
    for (const args of [
      ['cms', 'verify', '--in', missing],
      ['cms', 'verify', '--in', bin, '--ca', missing],
      ['cert', 'verify', '--cert', missing, '--ca', missing],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^trustflow: --(in|ca|cert) ${missing}: no such file$`, 'm'));
      assert.doesNotMatch(r.stderr, /ENOENT|at .*\.js:\d+/);
    }
  });
});

describe('the Temporal server down', () => {
  it('a command that needs it fails (exit 1) naming the address and what to check, not "Failed to connect before the deadline" alone', async () => {
    const r = await cli('credentials', 'list');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trustflow: cannot reach the Temporal server at 127\.0\.0\.1:1 \(TEMPORAL_ADDRESS\): .*is it running/m);
  });
});

describe('strict dates', () => {
  it('reads calendar days and zoned instants; refuses impossible days, bare numbers and unzoned times', () => {
    const ok = (t: string) => {
      const d = parseStrictDate(t);
      assert.ok(d.ok, `${t}: ${!d.ok && d.reason}`);
      return d.date.toISOString();
    };
    assert.equal(ok('2022-06-01'), '2022-06-01T00:00:00.000Z');
    assert.equal(ok('2024-02-29'), '2024-02-29T00:00:00.000Z');
    assert.equal(ok('2022-06-01T12:30:00Z'), '2022-06-01T12:30:00.000Z');
    assert.equal(ok('2022-06-01T12:30+05:00'), '2022-06-01T07:30:00.000Z');
    assert.equal(ok('2022-06-01T12:30:15.250-0130'), '2022-06-01T14:00:15.250Z');
    for (const bad of [
      '2022-02-30',
      '2023-02-29',
      '1',
      '2022',
      '22-06-01',
      '2022-6-1',
      '2022-06-01T24:00Z',
      '2022-06-01T12:00',
      'yesterday',
      '',
    ]) {
      const d = parseStrictDate(bad);
      assert.equal(d.ok, false, `${bad} is refused`);
    }
  });
});

describe('tables', () => {
  it('fit 100 columns by shortening the named columns with …; --wide keeps every cell whole', () => {
    const rows = [['a-credential', 'expiring', 'x'.repeat(300)]];
    const narrow = renderTable(['id', 'state', 'next'], rows);
    assert.deepEqual(tooWide(narrow), []);
    assert.match(narrow, /x…$/m);
    const wide = renderTable(['id', 'state', 'next'], rows, { wide: true });
    assert.ok(wide.includes('x'.repeat(300)));
    const longIds = renderTable(['id', 'next'], [['i'.repeat(150), 'do this']], { shrink: [1, 0] });
    assert.deepEqual(tooWide(longIds), []);
  });
});

describe('output files', () => {
  it('never replace an input, however its path is spelled (./F, F, a symlink, a hard link), even with --force', async () => {
    const doc = join(tmp, 'doc.txt');
    await writeFile(doc, 'the document');
    await symlink(doc, join(tmp, 'doc-link.txt'));
    await link(doc, join(tmp, 'doc-hard.txt'));
    for (const out of [doc, join(tmp, '.', 'doc.txt'), join(tmp, 'doc-link.txt'), join(tmp, 'doc-hard.txt')])
      for (const force of [false, true])
        await assert.rejects(
          writeOutputFile(out, Buffer.from('signature'), { flag: '--out', force, inputs: [{ flag: '--in', path: doc }] }),
          (e: unknown) => e instanceof UsageError && /is the file given as --in .*destroy the input/.test(e.message),
        );
    assert.equal(await readFile(doc, 'utf8'), 'the document');
  });

  it('replace an existing file only with --force, whole; a new file is created; no temporary file is left', async () => {
    const out = join(tmp, 'out.bin');
    await writeFile(out, 'old');
    await assert.rejects(
      writeOutputFile(out, Buffer.from('new'), { flag: '--out', force: false, inputs: [] }),
      (e: unknown) => e instanceof UsageError && /--out .* exists: pass --force/.test(e.message),
    );
    assert.equal(await readFile(out, 'utf8'), 'old');
    await writeOutputFile(out, Buffer.from('new'), { flag: '--out', force: true, inputs: [] });
    assert.equal(await readFile(out, 'utf8'), 'new');
    const fresh = join(tmp, 'fresh.bin');
    await writeOutputFile(fresh, Buffer.from('fresh'), { flag: '--out', force: false, inputs: [], mode: 0o600 });
    assert.equal(await readFile(fresh, 'utf8'), 'fresh');
    assert.deepEqual(
      (await readdir(tmp)).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('trustflow cms sign --in F --out F (and ./F) leaves the document as it was and exits 2', async () => {
    const doc = join(tmp, 'sign-me.txt');
    await writeFile(doc, 'keep me');
    for (const out of [doc, `${tmp}/./sign-me.txt`]) {
      const r = await cli('cms', 'sign', '--p12', bin, '--password-env', 'PATH', '--in', doc, '--out', out, '--detached');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /is the file given as --in/);
    }
    assert.equal(await readFile(doc, 'utf8'), 'keep me');
  });
});

describe('output into a pipe', () => {
  it('reaches a slow reader whole (a process that writes 300 KB and exits through flushStdio)', async () => {
    const script = `import { flushStdio } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'client', 'cli', 'io.js'))};
      process.stdout.write('x'.repeat(300000) + '\\n'); await flushStdio(); process.exit(0);`;
    const count = await new Promise<string>((resolve, reject) => {
      const sh = spawn('sh', ['-c', `"${process.execPath}" --input-type=module -e "$SCRIPT" | (sleep 1; wc -c)`], {
        env: { ...process.env, SCRIPT: script },
      });
      let out = '';
      sh.stdout.on('data', (d: Buffer) => (out += d));
      sh.on('error', reject);
      sh.on('close', () => resolve(out.trim()));
    });
    assert.equal(count, '300001');
  });

  it('a reader that goes away early (| head -1) ends the command quietly: no EPIPE stack trace', async () => {
    const r = await new Promise<{ err: string }>((resolve) => {
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${bin}" --help | head -1 >/dev/null`]);
      let err = '';
      sh.stderr.on('data', (d: Buffer) => (err += d));
      sh.on('close', () => resolve({ err }));
    });
    assert.equal(r.err, '');
  });
});
