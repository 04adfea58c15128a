import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseYaml } from '../config';
import { type BookingEventInput, formatZodIssues } from '../domain';
import { loadSeedFile, type SimulatorSeed } from '../simulator';

/** `config/demo/` of this package (the same relative place from `src/` and `dist/`). */
export const DEMO_DIR = path.resolve(__dirname, '../../config/demo');

export const DEMO_FILES = {
  seed: path.join(DEMO_DIR, 'simulator-seed.json'),
  config: path.join(DEMO_DIR, 'flexysync-demo.yaml'),
  calendar: path.join(DEMO_DIR, 'airbnb-flat-3b.template.ics'),
  pushed: path.join(DEMO_DIR, 'pushed-events.json'),
} as const;

const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** A moment relative to today: `{ day: 1 }` is tomorrow as a date, `{ day: 1, time: '08:00' }` a local time. */
const relativeWhenSchema = z.strictObject({
  day: z.int().min(-365).max(365),
  time: z.string().regex(HH_MM, 'must be "HH:mm"').optional(),
});
export type RelativeWhen = z.infer<typeof relativeWhenSchema>;

const pushedStepSchema = z.strictObject({
  /** What happens, in words, shown when the step is sent. */
  note: z.string().min(1),
  /** `after-synced`: once the booking's previous event is synced on every unit. @default 'start' */
  when: z.enum(['start', 'after-synced']).default('start'),
  event: z
    .looseObject({
      source: z.string(),
      externalId: z.string(),
      resource: z.string(),
      start: relativeWhenSchema,
      end: relativeWhenSchema,
    })
    .transform((event) => event as typeof event & Omit<BookingEventInput, 'start' | 'end'>),
});

const pushedFileSchema = z.object({ steps: z.array(pushedStepSchema).min(1) });

/** One BookingEvent the demo pushes, with its dates resolved. */
export interface PushedStep {
  note: string;
  when: 'start' | 'after-synced';
  event: BookingEventInput;
}

/** The configuration file as parsed YAML (an object the demo completes before validation). */
export function loadDemoConfigInput(file: string = DEMO_FILES.config): Record<string, unknown> {
  return parseYaml(readFileSync(file, 'utf8'), file) as Record<string, unknown>;
}

export function loadDemoSeed(file: string = DEMO_FILES.seed): SimulatorSeed {
  return loadSeedFile(file);
}

/** `{ day, time? }` → `YYYY-MM-DD` (an all-day boundary) or an ISO date-time with the zone's offset. */
export function resolveRelativeWhen(when: RelativeWhen, zone: string, now: Date): string {
  const day = DateTime.fromJSDate(now, { zone }).startOf('day').plus({ days: when.day });
  if (when.time === undefined) return day.toISODate() as string;
  const [hour, minute] = when.time.split(':').map(Number);
  return day.set({ hour, minute }).toISO({ suppressMilliseconds: true }) as string;
}

/**
 * Reads the pushed events and resolves their relative dates in each resource's zone
 * (`zoneOf(resource)`), so the demo's bookings always lie around today.
 */
export function loadPushedSteps(
  zoneOf: (resource: string) => string,
  now: Date,
  file: string = DEMO_FILES.pushed,
): PushedStep[] {
  const parsed = pushedFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}:\n  ${formatZodIssues(parsed.error).join('\n  ')}`);
  }
  return parsed.data.steps.map((step) => {
    const zone = zoneOf(step.event.resource);
    return {
      note: step.note,
      when: step.when,
      event: {
        ...step.event,
        start: resolveRelativeWhen(step.event.start, zone, now),
        end: resolveRelativeWhen(step.event.end, zone, now),
      } as BookingEventInput,
    };
  });
}

/**
 * Fills the calendar template: `{{DATE+n}}` / `{{DATE-n}}` become iCal dates (`YYYYMMDD`) n days from
 * today in `zone`, `{{DTSTAMP}}` the current UTC time. An unknown placeholder is an error.
 */
export function renderCalendarTemplate(template: string, zone: string, now: Date): string {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const stamp = DateTime.fromJSDate(now, { zone: 'utc' }).toFormat("yyyyMMdd'T'HHmmss'Z'");
  return template.replace(/\{\{([^}]*)\}\}/g, (whole, name: string) => {
    if (name === 'DTSTAMP') return stamp;
    const match = /^DATE([+-]\d{1,3})?$/.exec(name);
    if (!match) throw new Error(`unknown placeholder ${whole} in the demo calendar template`);
    return today.plus({ days: Number(match[1] ?? 0) }).toFormat('yyyyMMdd');
  });
}

export function loadCalendarTemplate(file: string = DEMO_FILES.calendar): string {
  return readFileSync(file, 'utf8');
}
