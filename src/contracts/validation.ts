import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** Human-readable list of what is wrong with an input: paths and our own messages, never values. */
export function describeInputIssues(error: z.ZodError): string {
  return flatten(error.issues, []).join('; ');
}

function flatten(issues: readonly Issue[], prefix: PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (
      issue.code === 'invalid_union' &&
      issue.errors.some((branch) => branch.some((i) => i.code === 'unrecognized_keys' || i.path.length > 0))
    ) {
      // One of several object shapes ({file} or {path}): describe the branch the input came closest
      // to. A union of plain values (128 | 192 | 256) keeps its own message.
      return flatten(closestBranch(issue.errors), path);
    }
    const where = path.length ? path.map(String).join('.') : '(input)';
    const message =
      issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? `is required (${issue.expected})` : issue.message;
    return [`${where}: ${message}`];
  });
}

/** The branch whose issues name a close key ("did you mean"), else the one with the fewest issues. */
function closestBranch(branches: Issue[][]): Issue[] {
  const suggesting = branches.filter((b) => b.some((i) => i.code === 'unrecognized_keys' && i.message.includes('did you mean')));
  const pool = suggesting.length ? suggesting : branches;
  return pool.reduce((best, b) => (b.length < best.length ? b : best));
}
