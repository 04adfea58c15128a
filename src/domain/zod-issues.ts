import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

const PLAIN_KEY = /^[^\s.[\]"'`]+$/;

/**
 * Renders a zod issue path the way an operator would type it: `guest.phone`,
 * `resources.room-101.units[0].action`. Keys that contain dots, brackets or spaces are quoted
 * (`resources["room 101"]`) so the path stays unambiguous.
 */
export function formatIssuePath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'symbol') out += `[${key.toString()}]`;
    else if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** Short, value-free description of what was received, for type errors ("got a number"). */
export function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isNaN(input) ? 'NaN' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof input;
  }
}

/**
 * A zod `error` function for a field whose message should say "is required" when absent and
 * "must be <expected>, got <kind>" otherwise. Values are never echoed (they may be PINs or
 * phone numbers, and these messages end up in logs and on failed jobs).
 */
export function typeError(expected: string): (issue: { input?: unknown }) => string {
  return (issue) =>
    issue.input === undefined ? 'is required' : `must be ${expected}, got ${describeInput(issue.input)}`;
}

function rewriteDefault(issue: Issue): string {
  // zod's own wording is kept for anything our schemas did not phrase themselves, with the one
  // change operators ask for most: "received undefined" means the field is missing.
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  return issue.message;
}

/**
 * Turns a zod error into one line per problem, each naming the field and the rule, e.g.
 * `guest.phone: must be E.164, e.g. +46701234567`. Unknown keys reported with zod's default
 * message get one line per key (`resources.room-101.timezone: unknown key`).
 */
export function formatZodIssues(error: { readonly issues: readonly Issue[] }): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.message.startsWith('Unrecognized key')) {
      for (const key of issue.keys) lines.push(`${formatIssuePath([...issue.path, key])}: unknown key`);
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
      // When every alternative failed on its type, name the types; otherwise report the branch
      // that got furthest rather than zod's bare "Invalid input".
      const expected = issue.errors.map((branch) =>
        branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0
          ? branch[0].expected
          : undefined,
      );
      if (expected.every((type) => type !== undefined)) {
        lines.push(`${formatIssuePath(issue.path)}: must be ${[...new Set(expected)].join(' or ')}`);
        continue;
      }
      const best = [...issue.errors].sort((a, b) => deepest(b) - deepest(a))[0] ?? [];
      if (best.length > 0) {
        lines.push(
          ...formatZodIssues({ issues: best.map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] })) }),
        );
        continue;
      }
    }
    lines.push(`${formatIssuePath(issue.path)}: ${rewriteDefault(issue)}`);
  }
  return lines;
}

function deepest(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.map((issue) => issue.path.length));
}
