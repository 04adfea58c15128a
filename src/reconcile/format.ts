import type { ReconcileReport } from './reconciler';
import type { Drift } from './unit-plan';

/** Values safe to print: a PIN is never shown, only that it differs. */
function shown(field: string, value: string | null): string {
  if (field === 'codeTag') return value === null ? '(none)' : '(a PIN)';
  return value ?? '(none)';
}

function describe(drift: Drift): string {
  switch (drift.kind) {
    case 'missing':
      return `+ create  ${drift.bookingKey}: idNumber ${drift.entry.idNumber}, ${drift.entry.action}, ${drift.entry.validFromIso} → ${drift.entry.validToIso}`;
    case 'drifted':
      return `~ update  ${drift.bookingKey} (entry ${drift.entryId}): ${drift.changes
        .map((c) => `${c.field} ${shown(c.field, c.actual)} → ${shown(c.field, c.wanted)}`)
        .join(', ')}`;
    case 'expired':
      return `- delete  ${drift.bookingKey} (entry ${drift.entryId}): access ended ${drift.validToIso}`;
    case 'orphaned':
      return `- delete  entry ${drift.entryId} (${drift.description}): orphaned, no booking refers to it`;
  }
}

/** The reconcile plan (or what was done), for a person at a terminal. */
export function formatReconcileReport(report: ReconcileReport): string {
  const lines: string[] = [
    `${report.dryRun ? 'Reconcile plan (dry run: nothing changed)' : 'Reconcile'} as of ${report.nowIso}`,
  ];
  let changes = 0;
  for (const unit of report.units) {
    changes += unit.drifts.length;
    const summary = `unit ${unit.unitId}: ${unit.owned} owned, ${unit.foreign} foreign (untouched)`;
    lines.push('', unit.drifts.length === 0 && !unit.refused ? `${summary}: in step` : summary);
    for (const drift of unit.drifts) lines.push(`  ${describe(drift)}`);
    if (unit.refused) {
      lines.push(`  ! refused: ${unit.refused}`);
      for (const drift of unit.held ?? []) lines.push(`    held: ${describe(drift)}`);
    }
  }
  lines.push('', `${changes} change(s) over ${report.units.length} unit(s)`);
  if (report.unsettled.length > 0) {
    lines.push(
      `${report.unsettled.length} booking(s) whose latest change failed part-way${report.dryRun ? ' (a reconcile plans them again from their last event)' : ''}:`,
    );
    for (const { bookingKey, failure } of report.unsettled) lines.push(`  ! ${bookingKey}: ${failure}`);
  }
  if (report.endedRecords > 0) {
    lines.push(
      `${report.endedRecords} record(s) of long-ended bookings with nothing left on a unit${report.dryRun ? ' (a full reconcile forgets them)' : ''}`,
    );
  }
  if (!report.dryRun) {
    const { bookingsRepaired, orphansDeleted, recordsForgotten, skipped } = report.applied;
    lines.push(
      `applied: ${bookingsRepaired} booking(s) repaired, ${orphansDeleted} orphaned entr(y/ies) deleted, ${recordsForgotten} ended booking record(s) forgotten`,
    );
    for (const reason of skipped) lines.push(`  skipped ${reason}`);
  }
  return lines.join('\n');
}
