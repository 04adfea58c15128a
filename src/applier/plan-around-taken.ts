import { mergeUnitsInUse, type UnitsInUse } from '../planner';
import { ClaimsTakenError, IdNumberTakenError } from './applier';

/** What a failed apply says is taken on its units (a code or idNumber), or undefined for any other failure. */
export function takenBy(error: unknown): UnitsInUse | undefined {
  return error instanceof ClaimsTakenError || error instanceof IdNumberTakenError ? error.taken : undefined;
}

export interface PlanAroundTakenOptions<T> {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Plans with `taken` counted as in use and applies the plan. */
  attempt: (taken: UnitsInUse) => Promise<T>;
  /** Told what an attempt found taken, before the next one (to log it, or read the record again). */
  onTaken?: (error: ClaimsTakenError | IdNumberTakenError) => Promise<void> | void;
  /** For another failure: whether the caller mended its state so that one more attempt makes sense. */
  recover?: (error: unknown) => Promise<boolean> | boolean;
}

/**
 * Plans and applies until an attempt goes through, planning each next attempt around every code and
 * idNumber the earlier ones found taken (a PIN another booking claimed a moment earlier, an idNumber a
 * row we do not own holds on the unit). The booking processor and the reconciler's repair share it so
 * their rules cannot drift apart. The last attempt's error is thrown as is.
 */
export async function planAroundTaken<T>(options: PlanAroundTakenOptions<T>): Promise<T> {
  let taken: UnitsInUse = new Map();
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.attempt(taken);
    } catch (error) {
      if (attempt >= options.attempts) throw error;
      const found = takenBy(error);
      if (found) {
        taken = mergeUnitsInUse(taken, found);
        await options.onTaken?.(error as ClaimsTakenError | IdNumberTakenError);
        continue;
      }
      if (!(await options.recover?.(error))) throw error;
    }
  }
}
