import { silentLogger } from '../logging';
import { DEFAULT_USER_AGENT, type FlexyKeyClientOptions, validateClientOptions } from './options';
import { BookingsResource } from './resources/bookings';
import { ControlResource } from './resources/control';
import { LogsResource } from './resources/logs';
import { ToolsResource } from './resources/tools';
import { UnitIdEntriesResource } from './resources/unit-id-entries';
import { UnitInfoResource } from './resources/unit-info';
import { UnitSettingsResource } from './resources/unit-settings';
import { UnitSyncResource } from './resources/unit-sync';
import { UnitsResource } from './resources/units';
import { WebhooksResource } from './resources/webhooks';
import { resolveRetryPolicy } from './retry';
import { DEFAULT_TIMEOUTS, Transport } from './transport';

/**
 * Typed client of the FlexyKey REST API. Every resource shares one transport (one keep-alive pool,
 * auth, retries, hooks). Create one per process and `close()` it on shutdown.
 */
export class FlexyKeyClient {
  /** `GET /Units`, `GET /Units/{id}`. */
  readonly units: UnitsResource;
  /** `POST /Control`, `GET /Control`. */
  readonly control: ControlResource;
  /** `GET /RequestUnitInfoTypes`, `POST /RequestUnitInfo`, `GET /UnitMessages`. */
  readonly unitInfo: UnitInfoResource;
  /** `GET|POST /UnitIdEntries`, `PUT|DELETE /UnitIdEntries/{id}`. */
  readonly unitIdEntries: UnitIdEntriesResource;
  /** `GET /UnitSettings/Definitions`, `GET|PUT /UnitSettings`. */
  readonly unitSettings: UnitSettingsResource;
  /** `POST /UnitSync/PushChanges`, `GET /UnitSync/Status`, `POST /UnitSync/Abort`. */
  readonly unitSync: UnitSyncResource;
  /** `POST /Tools/*SyncState`. */
  readonly tools: ToolsResource;
  /** `GET /Webhooks/Events`, `GET|PUT|DELETE /Webhooks`, `POST /Webhooks/Test`. */
  readonly webhooks: WebhooksResource;
  /** `GET /Logs`. */
  readonly logs: LogsResource;
  /** `POST|GET /Bookings`, `DELETE /Bookings/{bookingId}`. */
  readonly bookings: BookingsResource;

  readonly #transport: Transport;

  constructor(options: FlexyKeyClientOptions) {
    const data = validateClientOptions(options);
    this.#transport = new Transport({
      baseUrl: data.baseUrl,
      username: data.username,
      password: data.password,
      dispatcher: options.dispatcher,
      timeouts: { ...DEFAULT_TIMEOUTS, ...definedOnly(data.timeouts) },
      retry: resolveRetryPolicy(options.retry),
      logger: options.logger ?? silentLogger,
      userAgent: data.userAgent ?? DEFAULT_USER_AGENT,
      hooks: options.hooks ?? {},
      maxConnections: data.maxConnections ?? 10,
    });
    this.units = new UnitsResource(this.#transport);
    this.control = new ControlResource(this.#transport);
    this.unitInfo = new UnitInfoResource(this.#transport);
    this.unitIdEntries = new UnitIdEntriesResource(this.#transport);
    this.unitSettings = new UnitSettingsResource(this.#transport);
    this.unitSync = new UnitSyncResource(this.#transport);
    this.tools = new ToolsResource(this.#transport);
    this.webhooks = new WebhooksResource(this.#transport);
    this.logs = new LogsResource(this.#transport);
    this.bookings = new BookingsResource(this.#transport);
  }

  /** Closes the connection pool the client created (an injected dispatcher stays open). Idempotent. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}

/** Creates a {@link FlexyKeyClient}; throws a TypeError naming the bad option when options are invalid. */
export function createFlexyKeyClient(options: FlexyKeyClientOptions): FlexyKeyClient {
  return new FlexyKeyClient(options);
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
