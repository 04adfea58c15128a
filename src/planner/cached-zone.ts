import { IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from 'luxon';

/** Offsets are cached per bucket of this length; a bucket with a transition in it is never cached. */
const BUCKET_MS = 15 * 60_000;
/** Buckets remembered per zone before the cache starts over (a few years of quarter hours in use). */
const MAX_BUCKETS = 50_000;

/**
 * An IANA zone whose UTC offsets are remembered per quarter hour. luxon asks `Intl` for the offset of
 * every instant it handles (`formatToParts`), which made time-zone arithmetic the planner's largest
 * CPU cost. A bucket is cached only when its first and last millisecond have the same offset, so an
 * instant next to a DST (or any other) transition is always computed exactly.
 */
export class CachedIanaZone extends Zone {
  private readonly inner: IANAZone;
  private readonly offsets = new Map<number, number>();

  constructor(name: string) {
    super();
    this.inner = IANAZone.create(name);
  }

  override get type(): string {
    return 'iana';
  }

  override get name(): string {
    return this.inner.name;
  }

  override get isUniversal(): boolean {
    return false;
  }

  override get isValid(): boolean {
    return this.inner.isValid;
  }

  override offsetName(ts: number, options: ZoneOffsetOptions): string | null {
    return this.inner.offsetName(ts, options);
  }

  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.inner.formatOffset(ts, format);
  }

  override offset(ts: number): number {
    const bucket = Math.floor(ts / BUCKET_MS);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const offset = this.inner.offset(ts);
    const first = bucket * BUCKET_MS;
    if (this.inner.offset(first) === offset && this.inner.offset(first + BUCKET_MS - 1) === offset) {
      if (this.offsets.size >= MAX_BUCKETS) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  override equals(other: Zone): boolean {
    return other.type === 'iana' && other.name === this.name;
  }
}

const zones = new Map<string, CachedIanaZone>();

/** The shared cached zone for an IANA name (configuration holds a handful). */
export function cachedZone(name: string): CachedIanaZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = new CachedIanaZone(name);
    zones.set(name, zone);
  }
  return zone;
}
