import type { z } from 'zod';
import { type FieldErrors, fieldProblem, SimProblem } from './problem';
import { parseIsoInstant } from './time';

/**
 * Validates a request body with the simulator's own zod schema; failures become one 400 whose
 * `errors` name every offending field (`{ idNumber: ['...'] }`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SimProblem(400, 'A JSON object body is required', { body: ['A JSON object body is required'] });
  }
  const result = schema.safeParse(body, {
    error: (issue) =>
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
  });
  if (result.success) return result.data;
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    const list = errors[field] ?? [];
    list.push(issue.message);
    errors[field] = list;
  }
  const detail = Object.entries(errors)
    .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
    .join(', ');
  throw new SimProblem(400, `Validation failed: ${detail}`, errors);
}

export type Query = Record<string, unknown>;

/** A single string query parameter, or undefined when absent or empty. */
export function queryString(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw fieldProblem(name, 'must be given once');
  return value;
}

export interface QueryIntOptions {
  min?: number;
  max?: number;
}

/** An integer query parameter (digits only), or undefined when absent. */
export function queryInt(query: Query, name: string, options: QueryIntOptions = {}): number | undefined {
  const raw = queryString(query, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(raw)) throw fieldProblem(name, 'must be an integer');
  const value = Number(raw);
  if (options.min !== undefined && value < options.min)
    throw fieldProblem(name, `must be at least ${options.min}`);
  if (options.max !== undefined && value > options.max)
    throw fieldProblem(name, `must be at most ${options.max}`);
  return value;
}

export function requireQueryInt(query: Query, name: string, options: QueryIntOptions = {}): number {
  const value = queryInt(query, name, options);
  if (value === undefined) throw fieldProblem(name, 'is required');
  return value;
}

/** An ISO 8601 instant query parameter (with `Z` or offset) as epoch ms. */
export function queryInstant(query: Query, name: string): number | undefined {
  const raw = queryString(query, name);
  if (raw === undefined) return undefined;
  const ms = parseIsoInstant(raw);
  if (ms === null) throw fieldProblem(name, 'must be an ISO 8601 date-time with Z or an offset');
  return ms;
}

/** A path parameter that must be a positive integer id. */
export function pathId(params: unknown, name: string): number {
  const raw = (params as Record<string, string | undefined>)[name];
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) throw fieldProblem(name, 'must be a positive integer');
  return Number(raw);
}
