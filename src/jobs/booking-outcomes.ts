import type { StoredBooking } from '../domain';
import type { OutcomeEvent, OutcomeStream, UnitResult } from '../events';

export interface OutcomeOptions {
  /** Whether the PIN may leave the process in the events stream. */
  includePin: boolean;
  now: () => Date;
}

/** Builds and publishes the outcome event of one booking from its record. */
export function createOutcomePublisher(stream: OutcomeStream, options: OutcomeOptions) {
  return async function publishOutcome(
    record: Pick<
      StoredBooking,
      'source' | 'externalId' | 'entries' | 'pin' | 'validFromIso' | 'validToIso' | 'revision'
    >,
    state: OutcomeEvent['state'],
    extra: { units?: UnitResult[]; reason?: string } = {},
  ): Promise<void> {
    const withAccess = state === 'applied' || state === 'synced';
    await stream.publish({
      source: record.source,
      externalId: record.externalId,
      state,
      units:
        extra.units ??
        record.entries.map((entry) => ({
          unitId: entry.unitId,
          state: state === 'synced' ? 'synced' : 'pending',
        })),
      validFrom: withAccess ? (record.validFromIso ?? null) : null,
      validTo: withAccess ? (record.validToIso ?? null) : null,
      ...(withAccess && options.includePin && record.pin ? { pin: record.pin } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(record.revision !== undefined ? { revision: record.revision } : {}),
      at: options.now().toISOString(),
    });
  };
}

export type PublishOutcome = ReturnType<typeof createOutcomePublisher>;
