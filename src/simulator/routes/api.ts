import type { RouteTable } from '../app';
import { createBooking, deleteBooking, listBookings } from '../bookings';
import { getControl, postControl } from '../control';
import { createEntry, deleteEntry, listEntries, updateEntry } from '../id-entries';
import { listLogs } from '../logs';
import { listSettings, putSetting, SETTING_DEFINITIONS } from '../settings';
import { allUnitDataSyncState, idEntriesSyncState, unitSettingsSyncState } from '../tools';
import { listUnitMessages, requestUnitInfo, unitInfoTypes } from '../unit-info';
import { abortSync, pushChanges, syncStatus } from '../unit-sync';
import { getUnit, listUnits } from '../units';
import { pathId, type Query } from '../validation';
import { deleteWebhook, listWebhooks, putWebhook, testWebhook, WEBHOOK_EVENTS } from '../webhooks';

/** Every endpoint of the vendor guide under `/v1`; each shows its method and path here. */
export function registerApiRoutes(routes: RouteTable): void {
  const q = (query: unknown) => query as Query;

  // Units
  routes.api('GET', '/Units', ({ world, user }) => listUnits(world, user));
  routes.api('GET', '/Units/:id', ({ world, user, req }) => getUnit(world, user, pathId(req.params, 'id')));

  // ID entries
  routes.api('GET', '/UnitIdEntries', ({ world, user, req }) => listEntries(world, user, q(req.query)));
  routes.api('POST', '/UnitIdEntries', ({ world, user, req }) => createEntry(world, user, req.body), 201);
  routes.api('PUT', '/UnitIdEntries/:id', ({ world, user, req }) =>
    updateEntry(world, user, pathId(req.params, 'id'), req.body),
  );
  routes.api('DELETE', '/UnitIdEntries/:id', ({ world, user, req }) =>
    deleteEntry(world, user, pathId(req.params, 'id'), q(req.query), req.body),
  );

  // Unit sync
  routes.api('POST', '/UnitSync/PushChanges', ({ world, user, req }) => pushChanges(world, user, req.body));
  routes.api('GET', '/UnitSync/Status', ({ world, user, req }) => syncStatus(world, user, q(req.query)));
  routes.api('POST', '/UnitSync/Abort', ({ world, user, req }) => abortSync(world, user, req.body));

  // Unit settings
  routes.api('GET', '/UnitSettings/Definitions', () => SETTING_DEFINITIONS);
  routes.api('GET', '/UnitSettings', ({ world, user, req }) => listSettings(world, user, q(req.query)));
  routes.api('PUT', '/UnitSettings', ({ world, user, req }) => putSetting(world, user, req.body));

  // Tools
  routes.api('POST', '/Tools/IdEntriesSyncState', ({ world, user, req }) =>
    idEntriesSyncState(world, user, req.body),
  );
  routes.api('POST', '/Tools/UnitSettingsSyncState', ({ world, user, req }) =>
    unitSettingsSyncState(world, user, req.body),
  );
  routes.api('POST', '/Tools/AllUnitDataSyncState', ({ world, user, req }) =>
    allUnitDataSyncState(world, user, req.body),
  );

  // Control
  routes.api('POST', '/Control', ({ world, user, req }) => postControl(world, user, req.body));
  routes.api('GET', '/Control', ({ world, user, req }) => getControl(world, user, q(req.query)));

  // Unit information (CHECK commands)
  routes.api('GET', '/RequestUnitInfoTypes', ({ world }) => unitInfoTypes(world));
  routes.api('POST', '/RequestUnitInfo', ({ world, user, req }) => requestUnitInfo(world, user, req.body));
  routes.api('GET', '/UnitMessages', ({ world, user, req }) => listUnitMessages(world, user, q(req.query)));

  // Webhooks
  routes.api('GET', '/Webhooks/Events', () => WEBHOOK_EVENTS);
  routes.api('PUT', '/Webhooks', ({ world, user, req, reply }) => {
    const { created, row } = putWebhook(world, user, req.body);
    reply.code(created ? 201 : 200);
    return row;
  });
  routes.api('GET', '/Webhooks', ({ world, user, req }) => listWebhooks(world, user, q(req.query)));
  routes.api(
    'DELETE',
    '/Webhooks',
    ({ world, user, req }) => {
      deleteWebhook(world, user, q(req.query));
      return undefined;
    },
    204,
  );
  routes.api('POST', '/Webhooks/Test', ({ world, user, req }) => testWebhook(world, user, req.body));

  // Logs
  routes.api('GET', '/Logs', ({ world, user, req }) => listLogs(world, user, q(req.query)));

  // Bookings
  routes.api('POST', '/Bookings', ({ world, user, req }) => createBooking(world, user, req.body), 201);
  routes.api('GET', '/Bookings', ({ world, user, req }) => listBookings(world, user, q(req.query)));
  routes.api(
    'DELETE',
    '/Bookings/:bookingId',
    ({ world, user, req }) => {
      deleteBooking(world, user, pathId(req.params, 'bookingId'));
      return undefined;
    },
    204,
  );
}
