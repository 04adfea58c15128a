import type { z } from 'zod';
import { FlexyKeyRequestValidationError, type RequestIssue } from './errors';

/** `['items', 3, 'id']` → `items[3].id`; the empty path is named by `root`. */
export function formatIssuePath(path: readonly PropertyKey[], root: string): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? root : out;
}

/** zod issues as `{ field, rule }`, never carrying the offending value (it may be a PIN). */
export function issuesOf(error: z.ZodError, root: string): RequestIssue[] {
  return error.issues.map((issue) => ({ field: formatIssuePath(issue.path, root), rule: issue.message }));
}

/**
 * Checks a request against its schema before anything is sent; throws
 * {@link FlexyKeyRequestValidationError} naming the field and the rule.
 */
export function validateRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  method: string,
  path: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new FlexyKeyRequestValidationError({ method, path, issues: issuesOf(result.error, '(request)') });
}
