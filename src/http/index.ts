export { BEARER_TOKEN_PATTERN, constantTimeEqual, parseBearer } from './auth';
export { HttpError, type HttpErrorBody, type HttpErrorCode } from './errors';
export {
  INTAKE_TOKEN_ENV,
  MIN_INTAKE_TOKEN_LENGTH,
  type ReadIntakeTokenOptions,
  readIntakeToken,
} from './intake-token';
export {
  DASHBOARD_ENV,
  type DashboardCredentials,
  type DashboardRoutesDeps,
  dashboardRoutes,
  MIN_DASHBOARD_PASSWORD_LENGTH,
  parseBasic,
  readDashboardCredentials,
} from './routes/dashboard';
export { BOOKINGS_PATH } from './routes/intake';
export { METRICS_PATH, type MetricsSource, metricsRoutes } from './routes/metrics';
export { BOOKING_EVENT_SCHEMA_PATH } from './routes/schemas';
export {
  createDoorEventStream,
  type DoorEvent,
  type DoorEventStream,
  type DoorEventStreamOptions,
  FLEXYKEY_WEBHOOK_PATH,
  MAX_WEBHOOK_SECRET_LENGTH,
  MIN_WEBHOOK_SECRET_LENGTH,
  type ReadSecretOptions,
  readSecretFromEnv,
  readWebhookSecrets,
  STATUS_CHANGED_EVENT,
  type StoredDoorEvent,
  WEBHOOK_SECRET_ENV,
  type WebhookRoutesDeps,
  type WebhookSecrets,
  webhookRoutes,
} from './routes/webhooks';
export {
  createHttpServer,
  type HttpAddress,
  type HttpRoutes,
  type HttpServer,
  type HttpServerDeps,
  type Readiness,
} from './server';
