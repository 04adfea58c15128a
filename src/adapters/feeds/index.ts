export { normalisedContentHash } from './content-hash';
export {
  createFeedPollProcessor,
  FEED_POLL_JOB,
  FEED_SCHEDULER_PREFIX,
  FEEDS_QUEUE,
  type FeedPollPayload,
  type FeedPollProcessorDeps,
  feedPollJobOptions,
  feedPollPayloadSchema,
  registerFeedSchedulers,
} from './feed-job';
export { type FetchFeedOptions, type FetchFeedResult, fetchFeed } from './fetch-feed';
export {
  classify,
  externalIdOf,
  type MappedOccurrence,
  mapOccurrence,
  type OccurrenceKind,
  routeOf,
  windowMs,
} from './mapping';
export { type EmitBookings, type FeedPollResult, type PollFeedDeps, pollFeed } from './poll';
export {
  type Candidate,
  type FeedUpdate,
  type FeedUpdateInput,
  type HeldCancellations,
  planFeedUpdate,
  type SafetyRules,
  type SnapshotEntry,
} from './safety';
export {
  DEFAULT_RULES,
  type FeedKind,
  type FeedSource,
  feedUrl,
  redactUrl,
  resolveFeedSources,
} from './source';
export {
  createFeedStateStore,
  type FeedCounts,
  type FeedMeta,
  type FeedOutcome,
  type FeedStateStore,
  feedIndexKey,
  feedKeys,
} from './state';
export { approveHeldCancellations, type FeedStatus, readFeedBookings, readFeedStatus } from './status';
