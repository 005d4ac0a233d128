// Loaded by path (failureConverterPath) inside the workflow sandbox and used directly by clients.
// encodeCommonAttributes moves failure messages and stack traces into an encoded payload, so the
// payload codec encrypts them too; the stored failure says only "Encoded failure".
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
