import { z } from 'zod';
import type { AccessAttempt } from '../access';
import type { RouteTable } from '../app';
import { budgetConfigSchema, type FaultRuleInput } from '../faults';
import type { SimulatorSeed } from '../seed';
import type { Simulator, UnitPatch } from '../simulator';
import { parseBody, pathId } from '../validation';

const budgetBodySchema = z.object({
  maxRequests: z.int().min(1).nullable().optional(),
  windowMs: z.int().min(1).optional(),
});

/**
 * The unauthenticated admin API under `/__admin` — the same operations as the in-process
 * `Simulator` methods. Never faulted, never budgeted, never counted as API calls.
 */
export function registerAdminRoutes(routes: RouteTable, simulator: Simulator): void {
  routes.admin('GET', '/', () => ({
    routes: [
      'GET /__admin/state',
      'GET /__admin/units/:unitId',
      'PATCH /__admin/units/:unitId',
      'POST /__admin/units/:unitId/access',
      'GET|DELETE /__admin/calls',
      'GET|PUT|DELETE /__admin/faults',
      'GET|PUT|DELETE /__admin/budget',
      'POST /__admin/seed',
      'POST /__admin/reset',
      'GET|DELETE /__admin/webhook-deliveries',
    ],
  }));
  routes.admin('GET', '/state', () => simulator.summary());
  routes.admin('GET', '/units/:unitId', (req) => simulator.unit(pathId(req.params, 'unitId')));
  routes.admin('PATCH', '/units/:unitId', (req) =>
    simulator.updateUnit(pathId(req.params, 'unitId'), (req.body ?? {}) as UnitPatch),
  );
  routes.admin('POST', '/units/:unitId/access', (req) =>
    simulator.simulateAccess(pathId(req.params, 'unitId'), (req.body ?? {}) as AccessAttempt),
  );

  routes.admin('GET', '/calls', () => simulator.calls());
  routes.admin('DELETE', '/calls', () => {
    simulator.resetCalls();
  });

  routes.admin('GET', '/faults', () => ({ faults: simulator.faults() }));
  // Body: an array of rules, or `{ faults: [...] }`; replaces all rules.
  routes.admin('PUT', '/faults', (req) => {
    const list = Array.isArray(req.body) ? req.body : (req.body as { faults?: unknown } | undefined)?.faults;
    return { faults: simulator.setFaults(list as FaultRuleInput[]) };
  });
  routes.admin('DELETE', '/faults', () => {
    simulator.clearFaults();
  });

  routes.admin('GET', '/budget', () => simulator.budget());
  routes.admin('PUT', '/budget', (req) => {
    const body = parseBody(budgetBodySchema, req.body ?? {});
    if (body.maxRequests == null) return simulator.setBudget(null);
    return simulator.setBudget(parseBody(budgetConfigSchema, body));
  });
  routes.admin('DELETE', '/budget', () => {
    simulator.setBudget(null);
  });

  routes.admin('POST', '/seed', (req) => simulator.loadSeed(req.body as SimulatorSeed));
  routes.admin('POST', '/reset', () => simulator.reset());

  routes.admin('GET', '/webhook-deliveries', () => simulator.webhookDeliveries());
  routes.admin('DELETE', '/webhook-deliveries', () => {
    simulator.clearWebhookDeliveries();
  });
}
