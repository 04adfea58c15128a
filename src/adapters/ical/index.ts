export {
  type Component,
  type ContentLine,
  type EnvelopeResult,
  parseCalendarText,
  parseContentLine,
  stripBom,
  unfold,
} from './content-lines';
export {
  type CalendarOccurrence,
  type OccurrenceStatus,
  type ParseCalendarOptions,
  type ParseCalendarResult,
  type ParsedCalendar,
  parseCalendar,
  type RejectedEvent,
} from './parse-calendar';
export { type ExpandRuleInput, type Expansion, expandRule, type OccurrenceStart } from './recurrence';
export { splitTextList, unescapeText } from './text';
export { createZoneResolver, type ResolvedZone, windowsToIana, type ZoneResolver } from './time-zones';
export { parseCalendarValue, parseDuration, toInstant } from './values';
