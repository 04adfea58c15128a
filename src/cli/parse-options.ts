import { InvalidArgumentError } from 'commander';

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  return Number(value);
}

export function parsePort(value: string): number {
  const port = parseNonNegativeInteger(value);
  if (port > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got '${value}'`);
  return port;
}

export function parsePositiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  }
  return Number(value);
}
