/**
 * Booking sources that are pulled: calendar feeds. Adapters know nothing of the vendor and never
 * enqueue by themselves: they hand BookingEvents to an `emit` function the composition root gives them.
 */
export * from './feeds';
export * from './ical';
