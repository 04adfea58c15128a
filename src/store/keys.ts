/**
 * The keys of the booking and unit records (the store), in one place. Other modules name their own
 * keys beside the code that uses them, all under the same prefix: the outcome stream
 * (`<prefix>:events`, src/events) and door-event stream (`<prefix>:door-events`, src/http), leases
 * (src/coordination/lease.ts), the request budget (`<prefix>:budget:flexykey`, src/worker/services.ts),
 * calendar feeds (src/adapters/feeds/state.ts), the reconcile schedule (src/reconcile/schedule.ts);
 * BullMQ keeps its queues under the prefix too. Several Lua scripts touch keys of different units and
 * bookings together: on Redis Cluster the prefix must carry a hash tag (`{flexysync}`) so that every
 * key lands in one slot (docs/architecture.md).
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
    /**
     * Hash: booking key → generation of its change that was told `failed` because the unit is
     * unreachable (each change is told once); deleted when the unit is reachable again.
     */
    unitToldUnreachable: (unitId: number) => `${prefix}:unit:{${unitId}}:told-unreachable`,
    /** Set: bookings that may have become fully synced and must be announced (at least once). */
    toAnnounce: `${prefix}:to-announce`,
    /**
     * Sorted set: bookings a process took from `toAnnounce` to announce (score = when, ms); removed once
     * published. An entry left there by a crash is taken back after a while by the announcement sweep.
     */
    announcing: `${prefix}:announcing`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;

/** Owner recorded in a unit's claims for entries flexysync did not create. */
export const FOREIGN_OWNER = '!foreign';
