import type { Dispatcher } from 'undici';
import type { BookingEvent } from '../../domain';
import type { Logger } from '../../logging';
import { parseCalendar } from '../ical';
import { normalisedContentHash } from './content-hash';
import { type FetchFeedResult, fetchFeed } from './fetch-feed';
import { mapOccurrence, windowMs } from './mapping';
import { type Candidate, type FeedUpdate, planFeedUpdate, type SnapshotEntry } from './safety';
import type { FeedSource } from './source';
import type { FeedCounts, FeedMeta, FeedOutcome, FeedStateStore } from './state';

/** Hands BookingEvents over (to the bookings queue). Adapters never enqueue by themselves. */
export type EmitBookings = (events: readonly BookingEvent[]) => Promise<unknown>;

export interface PollFeedDeps {
  readonly state: FeedStateStore;
  readonly emit: EmitBookings;
  readonly logger: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** An undici dispatcher for every fetch (tests, proxies). */
  readonly dispatcher?: Dispatcher;
  /** Replaces the HTTP fetch (tests). @default fetchFeed */
  readonly fetch?: typeof fetchFeed;
}

export interface FeedPollResult {
  readonly source: string;
  readonly outcome: FeedOutcome | 'skipped';
  /** BookingEvents handed over. */
  readonly emitted: number;
  readonly cancelled: number;
  /** Resources whose cancellations were held back. */
  readonly held: number;
  readonly rejected: number;
  readonly reason?: string;
}

const MAX_REASONS = 50;

/**
 * One poll of one feed: fetch (conditional), parse inside our checks, map, apply the safety rules
 * against the last good snapshot, hand the BookingEvents over, then store the new snapshot. A failed
 * or suspicious fetch changes nothing but the feed's health record. Throws only when Redis or the
 * hand-over fails (the job is then retried; nothing was committed).
 */
export async function pollFeed(source: FeedSource, deps: PollFeedDeps): Promise<FeedPollResult> {
  const now = (deps.now ?? (() => new Date()))();
  const logger = deps.logger.child({ source: source.name, feed: source.redactedUrl });
  const release = await deps.state.lock(source.name, source.fetch.totalTimeoutMs + 120_000);
  if (!release) {
    logger.info('skipped: another process is polling this feed');
    return { source: source.name, outcome: 'skipped', emitted: 0, cancelled: 0, held: 0, rejected: 0 };
  }
  try {
    return await pollLocked(source, deps, now, logger);
  } finally {
    await release().catch(() => {});
  }
}

async function pollLocked(
  source: FeedSource,
  deps: PollFeedDeps,
  now: Date,
  logger: Logger,
): Promise<FeedPollResult> {
  const meta = await deps.state.readMeta(source.name);
  const attemptAt = now.toISOString();
  const configChanged = meta.configHash !== source.configHash;
  const reparseDue =
    !meta.lastParsedAt || now.getTime() - Date.parse(meta.lastParsedAt) >= source.reparseAfterMs;
  // A changed configuration, or a re-read that is due, needs the whole body: no validators then.
  const conditional = !configChanged && !reparseDue && meta.contentHash !== undefined;
  const started = Date.now();
  const fetched: FetchFeedResult = await (deps.fetch ?? fetchFeed)({
    url: source.url,
    allowHttp: source.allowHttp,
    ...(source.auth ? { auth: source.auth } : {}),
    ...(conditional && meta.etag ? { etag: meta.etag } : {}),
    ...(conditional && meta.lastModified ? { lastModified: meta.lastModified } : {}),
    connectTimeoutMs: source.fetch.connectTimeoutMs,
    headersTimeoutMs: source.fetch.headersTimeoutMs,
    bodyTimeoutMs: source.fetch.bodyTimeoutMs,
    totalTimeoutMs: source.fetch.totalTimeoutMs,
    maxBytes: source.fetch.maxBytes,
    maxRedirects: source.fetch.maxRedirects,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
  });
  const elapsedMs = Date.now() - started;

  const fail = async (outcome: 'failed' | 'suspicious', reason: string, extra: Partial<FeedMeta> = {}) => {
    const failures = meta.consecutiveFailures + 1;
    logger.warn(
      { outcome, reason, consecutiveFailures: failures, elapsedMs },
      'feed fetch not used; the last good snapshot stays',
    );
    await deps.state.writeMeta(source.name, {
      lastAttemptAt: attemptAt,
      lastOutcome: outcome,
      lastError: reason,
      lastErrorAt: attemptAt,
      consecutiveFailures: failures,
      ...extra,
    });
    return { source: source.name, outcome, emitted: 0, cancelled: 0, held: 0, rejected: 0, reason } as const;
  };

  if (fetched.kind === 'failed') return fail('failed', fetched.reason);

  let contentHash: string | undefined;
  if (fetched.kind === 'ok') contentHash = normalisedContentHash(fetched.body);
  const unchanged = conditional && (fetched.kind === 'not-modified' || contentHash === meta.contentHash);

  const validators: Partial<FeedMeta> = {
    etag: fetched.etag,
    lastModified: fetched.lastModified,
  };

  if (unchanged) {
    return unchangedPoll(
      source,
      deps,
      meta,
      now,
      logger,
      validators,
      fetched.kind === 'ok' ? 'unchanged (same content)' : 'unchanged (304)',
    );
  }
  if (fetched.kind !== 'ok' || contentHash === undefined) return fail('failed', 'no body');

  const windowFrom = new Date(now.getTime() - source.window.pastDays * 86_400_000);
  const windowTo = new Date(now.getTime() + source.window.futureDays * 86_400_000);
  const parsed = parseCalendar(fetched.body, {
    propertyZone: source.propertyZone,
    window: { from: windowFrom, to: windowTo },
    maxOccurrencesPerSeries: source.window.maxOccurrencesPerSeries,
  });
  if (!parsed.ok) return fail('failed', parsed.reason);

  const rejectedReasons = parsed.rejected.map((r) => `${r.uid ?? `(no UID, line ${r.line})`}: ${r.reason}`);
  if (parsed.eventCount > 0 && parsed.rejected.length / parsed.eventCount > source.safety.maxRejectedShare) {
    return fail(
      'suspicious',
      `${parsed.rejected.length} of ${parsed.eventCount} events rejected (more than ${source.safety.maxRejectedShare * 100}%)`,
      { rejectedReasons: rejectedReasons.slice(0, MAX_REASONS) },
    );
  }

  const protectedUids = new Set(parsed.rejected.flatMap((r) => (r.uid ? [r.uid] : [])));
  const bookings = new Map<string, Candidate>();
  const cancellations = new Map<string, Candidate>();
  const kinds = { booking: 0, block: 0, tentative: 0, ambiguous: 0, cancelled: 0, ignored: 0 };
  const problems: string[] = [];
  for (const occurrence of parsed.occurrences) {
    const mapped = mapOccurrence(occurrence, source);
    kinds[mapped.kind]++;
    if (mapped.problems.length > 0) {
      problems.push(...mapped.problems);
      protectedUids.add(occurrence.uid);
    }
    for (const event of mapped.events) {
      const candidate: Candidate = { uid: occurrence.uid, event, ...windowMs(event, source) };
      (event.status === 'cancelled' ? cancellations : bookings).set(event.externalId, candidate);
    }
  }
  for (const reason of rejectedReasons)
    logger.warn({ reason }, 'feed event rejected; its UID keeps its previous state');
  for (const problem of problems) logger.warn({ reason: problem }, 'feed event not used');
  if (parsed.warnings.length > 0) {
    logger.info({ warnings: parsed.warnings.slice(0, 20), total: parsed.warnings.length }, 'feed warnings');
  }

  const snapshot = await deps.state.readSnapshot(source.name);
  const update = planFeedUpdate({
    now: now.getTime(),
    rules: source.safety,
    snapshot,
    bookings,
    cancellations,
    protectedUids,
    isSnapshot: parsed.method !== 'CANCEL',
    windowEndMs: windowTo.getTime(),
    approveHeld: meta.approveHeld === true,
  });
  const counts: FeedCounts = {
    events: parsed.eventCount,
    occurrences: parsed.occurrences.length,
    bookings: kinds.booking,
    blocks: kinds.block,
    tentative: kinds.tentative,
    ambiguous: kinds.ambiguous,
    cancelled: kinds.cancelled,
    ignored: kinds.ignored,
    rejected: parsed.rejected.length + problems.length,
    warnings: parsed.warnings.length,
    emitted: update.emit.length,
    pendingAbsence: update.counts.pendingAbsence,
  };
  return finish(source, deps, now, logger, snapshot, update, meta, {
    ...validators,
    contentHash,
    configHash: source.configHash,
    lastParsedAt: attemptAt,
    counts,
    protectedUids: [...protectedUids].slice(0, 10_000),
    method: parsed.method,
    rejectedReasons: [...rejectedReasons, ...problems].slice(0, MAX_REASONS),
  });
}

/**
 * An approval is used by the one poll after it: a poll clears the approval it read at its start (if
 * any), never one given while it ran (that one stays for the next poll).
 */
function consumed(read: FeedMeta): { consumedApproval?: string } {
  return read.approveHeld && read.approveHeldMark !== undefined
    ? { consumedApproval: read.approveHeldMark }
    : {};
}

/** Same content as last time: only the absence counters move (and held cancellations are re-checked). */
async function unchangedPoll(
  source: FeedSource,
  deps: PollFeedDeps,
  meta: FeedMeta,
  now: Date,
  logger: Logger,
  validators: Partial<FeedMeta>,
  why: string,
): Promise<FeedPollResult> {
  const snapshot = await deps.state.readSnapshot(source.name);
  const pending = [...snapshot.values()].some(
    (entry) => entry.absent > 0 && entry.event.status === 'confirmed',
  );
  if (!pending) {
    logger.debug({ why }, 'feed unchanged');
    // Nothing missing, so nothing held: an approval read now has nothing left to apply and is used up
    // (the snapshot is written back unchanged, i.e. not at all).
    await deps.state.commit(
      source.name,
      snapshot,
      snapshot,
      {
        ...validators,
        lastAttemptAt: now.toISOString(),
        lastSuccessAt: now.toISOString(),
        lastOutcome: 'unchanged',
        consecutiveFailures: 0,
      },
      consumed(meta),
    );
    return { source: source.name, outcome: 'unchanged', emitted: 0, cancelled: 0, held: 0, rejected: 0 };
  }
  // What the feed listed last time is still what it lists.
  const bookings = new Map<string, Candidate>();
  for (const [id, entry] of snapshot) {
    if (entry.absent === 0 && entry.event.status === 'confirmed') bookings.set(id, entry);
  }
  const update = planFeedUpdate({
    now: now.getTime(),
    rules: source.safety,
    snapshot,
    bookings,
    cancellations: new Map(),
    protectedUids: new Set(meta.protectedUids ?? []),
    isSnapshot: meta.method !== 'CANCEL',
    windowEndMs: now.getTime() + source.window.futureDays * 86_400_000,
    approveHeld: meta.approveHeld === true,
  });
  return finish(source, deps, now, logger, snapshot, update, meta, {
    ...validators,
    ...(meta.counts
      ? {
          counts: {
            ...meta.counts,
            emitted: update.emit.length,
            pendingAbsence: update.counts.pendingAbsence,
          },
        }
      : {}),
  });
}

async function finish(
  source: FeedSource,
  deps: PollFeedDeps,
  now: Date,
  logger: Logger,
  snapshot: ReadonlyMap<string, SnapshotEntry>,
  update: FeedUpdate,
  /** The meta read at the start of the poll. */
  read: FeedMeta,
  extra: Partial<FeedMeta>,
): Promise<FeedPollResult> {
  // Hand over first, then commit: a crash in between sends the same events again next time
  // (harmless, they are idempotent), never loses them.
  if (update.emit.length > 0) await deps.emit(update.emit);
  const outcome: FeedOutcome =
    update.held.length > 0 ? 'held' : update.emit.length > 0 ? 'updated' : 'unchanged';
  for (const held of update.held) {
    logger.warn(
      { resource: held.resource, wouldCancel: held.wouldCancel, futureBookings: held.futureBookings },
      `feed would cancel too many bookings at once: cancellations held back (approve with \`flexysync feeds approve ${source.name}\`, or wait for the feed to recover)`,
    );
  }
  const { counts } = update;
  const cancelled = counts.cancelledByAbsence + counts.cancelledByFeed;
  await deps.state.commit(
    source.name,
    snapshot,
    update.next,
    {
      ...extra,
      lastAttemptAt: now.toISOString(),
      lastSuccessAt: now.toISOString(),
      lastOutcome: outcome,
      consecutiveFailures: 0,
      held: update.held.length > 0 ? update.held : undefined,
    },
    consumed(read),
  );
  logger.info(
    {
      outcome,
      created: counts.created,
      changed: counts.changed,
      cancelledByFeed: counts.cancelledByFeed,
      cancelledByAbsence: counts.cancelledByAbsence,
      pendingAbsence: counts.pendingAbsence,
      endedDropped: counts.endedDropped,
      held: update.held.length,
    },
    'feed polled',
  );
  return {
    source: source.name,
    outcome,
    emitted: update.emit.length,
    cancelled,
    held: update.held.length,
    rejected: extra.counts?.rejected ?? 0,
  };
}
