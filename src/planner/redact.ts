import type { BookingPlan, Operation } from './types';

const HIDDEN = '[redacted]';

function redactOperation(operation: Operation): Operation {
  switch (operation.kind) {
    case 'entry.create':
      return { ...operation, entry: { ...operation.entry, codeTag: HIDDEN } };
    case 'entry.update':
      return {
        ...operation,
        entry: { ...operation.entry, codeTag: HIDDEN },
        previous: { ...operation.previous, codeTag: HIDDEN },
      };
    case 'entry.delete':
      return { ...operation, previous: { ...operation.previous, codeTag: HIDDEN } };
    default:
      return operation;
  }
}

/**
 * A copy of a plan with every PIN replaced, for logs and dry-run output (the logger's redaction
 * paths do not reach `desired.entries[i].codeTag`).
 */
export function redactPlan(plan: BookingPlan): BookingPlan {
  if (plan.kind !== 'planned') return plan;
  return {
    ...plan,
    desired: plan.desired && {
      ...plan.desired,
      pin: HIDDEN,
      entries: plan.desired.entries.map((entry) => ({ ...entry, codeTag: HIDDEN })),
    },
    operations: plan.operations.map(redactOperation),
  };
}
