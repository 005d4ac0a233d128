// Blob references: large non-secret-but-sensitive inputs (face photos) that workflow inputs name by
// reference (`file:/path`) and only activities read. Size is checked before reading.
import { open } from 'node:fs/promises';
import { InvalidInputError } from '../common/errors.js';

export async function readBlob(ref: string, maxBytes: number, what: string): Promise<Buffer> {
  if (!/^file:\/./.test(ref)) throw new InvalidInputError(`${what}: expected a reference 'file:/absolute/path'`);
  const path = ref.slice('file:'.length);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist on the worker machine'
        : code === 'EACCES'
          ? 'may not be read by the worker'
          : `cannot be read (${code ?? 'error'})`;
    throw new InvalidInputError(`${what} ${ref} ${why}`);
  }
  try {
    const { size, isFile } = await handle.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) throw new InvalidInputError(`${what} ${ref} is not a regular file`);
    if (size === 0) throw new InvalidInputError(`${what} ${ref} is empty`);
    if (size > maxBytes) throw new InvalidInputError(`${what} ${ref} is ${size} bytes; the limit is ${maxBytes} (shrink or recompress it)`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
