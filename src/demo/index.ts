/**
 * `flexysync demo`: the whole system on one machine with one command — a private Redis, the FlexyKey
 * simulator, a local calendar feed, pushed bookings and the worker — shown as it works.
 */
export {
  DEMO_DIR,
  DEMO_FILES,
  loadPushedSteps,
  type PushedStep,
  renderCalendarTemplate,
  resolveRelativeWhen,
} from './assets';
export { displayKey, formatWindow, shortenExternalId, showPin } from './format';
export { type DemoOptions, runDemo } from './run-demo';
export { DEMO_FEED_SOURCE, DemoRedisUnreachableError } from './stack';
