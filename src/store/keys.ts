/**
 * Every Redis key flexysync writes outside BullMQ, in one place. Several Lua scripts touch keys of
 * different units and bookings together: on Redis Cluster the prefix must carry a hash tag
 * (`{flexysync}`) so that every key lands in one slot (docs/architecture.md).
 */
export function storeKeys(prefix: string) {
  return {
    booking: (bookingKey: string) => `${prefix}:booking:${bookingKey}`,
    bookingsIndex: `${prefix}:bookings`,
    /** Set: units where a change of the booking still has to arrive. Empty = the booking is synced. */
    bookingAwaitingUnits: (bookingKey: string) => `${prefix}:booking-awaiting:${bookingKey}`,
    units: `${prefix}:units`,
    /** Hash: `code:<pin>` / `id:<idNumber>` → owner (a booking key, or `!foreign` for hand-made entries). */
    unitClaims: (unitId: number) => `${prefix}:unit:{${unitId}}:claims`,
    /** Marker (with TTL) that the unit's foreign entries were read into its claims recently. */
    unitScanned: (unitId: number) => `${prefix}:unit:{${unitId}}:scanned`,
    /** Hash: booking key → generation of the change that still has to reach the physical unit. */
    unitAwaiting: (unitId: number) => `${prefix}:unit:{${unitId}}:awaiting`,
    /** Hash: last sync outcome, reachability and counters of the unit. */
    unitState: (unitId: number) => `${prefix}:unit:{${unitId}}:state`,
    /** Set: bookings that may have become fully synced and must be announced (at least once). */
    toAnnounce: `${prefix}:to-announce`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;

/** Owner recorded in a unit's claims for entries flexysync did not create. */
export const FOREIGN_OWNER = '!foreign';
