/**
 * Every request and response schema of the FlexyKey client, in one folder: they encode what we know
 * from the vendor guide and what we assume where it is silent (marked `FLEXYKEY:`). Matching the real
 * Swagger later means editing these files only.
 */
export * from './bookings';
export * from './common';
export * from './control';
export * from './logs';
export * from './tools';
export * from './unit-id-entries';
export * from './unit-info';
export * from './unit-settings';
export * from './unit-sync';
export * from './units';
export * from './webhooks';
