import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { reconcilePayloadSchema } from '../jobs';
import type { Logger } from '../logging';
import type { Reconciler } from './reconciler';
import { recordReconcileSlot } from './schedule';

/** The reconcile job: one full reconciliation, applied; its summary is the job's return value. */
export function createReconcileProcessor(deps: {
  reconciler: Reconciler;
  redis: Redis;
  prefix: string;
  logger: Logger;
}) {
  return async function processReconcile(job: Job) {
    const payload = reconcilePayloadSchema.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError(`invalid reconcile payload: ${payload.error.message}`);
    const report = await deps.reconciler.reconcile({ dryRun: false, force: payload.data.force === true });
    if (payload.data.slot) await recordReconcileSlot(deps.redis, deps.prefix, payload.data.slot);
    const summary = {
      slot: payload.data.slot ?? null,
      units: report.units.length,
      drifts: report.units.reduce((sum, unit) => sum + unit.drifts.length, 0),
      refusedUnits: report.units.filter((unit) => unit.refused).map((unit) => unit.unitId),
      foreign: report.units.reduce((sum, unit) => sum + unit.foreign, 0),
      ...report.applied,
    };
    deps.logger.info({ jobId: job.id, ...summary, skipped: summary.skipped.length }, 'reconcile finished');
    return summary;
  };
}
