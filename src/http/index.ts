export { BEARER_TOKEN_PATTERN, constantTimeEqual, parseBearer } from './auth';
export { HttpError, type HttpErrorBody, type HttpErrorCode } from './errors';
export {
  INTAKE_TOKEN_ENV,
  MIN_INTAKE_TOKEN_LENGTH,
  type ReadIntakeTokenOptions,
  readIntakeToken,
} from './intake-token';
export { BOOKINGS_PATH } from './routes/intake';
export { BOOKING_EVENT_SCHEMA_PATH } from './routes/schemas';
export {
  createHttpServer,
  type HttpAddress,
  type HttpRoutes,
  type HttpServer,
  type HttpServerDeps,
  type Readiness,
} from './server';
