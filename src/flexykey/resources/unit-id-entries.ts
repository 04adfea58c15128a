import { z } from 'zod';
import {
  type CreateUnitIdEntryInput,
  createUnitIdEntryRequestSchema,
  type DeleteUnitIdEntryParams,
  deleteUnitIdEntryParamsSchema,
  entryIdSchema,
  type IterateUnitIdEntriesOptions,
  iterateUnitIdEntriesOptionsSchema,
  type ListUnitIdEntriesQuery,
  listUnitIdEntriesQuerySchema,
  type UnitIdEntry,
  type UnitIdEntryPage,
  type UpdateUnitIdEntryInput,
  unitIdEntryPageSchema,
  unitIdEntrySchema,
  updateUnitIdEntryRequestSchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** @default page size of {@link UnitIdEntriesResource.iterate}. FLEXYKEY: the server's maximum is unknown. */
export const DEFAULT_ENTRY_PAGE_SIZE = 100;

/**
 * A unit's access list (phone numbers, PINs, tags). Changes are stored on the server and reach the
 * unit only after `unitSync.pushChanges`.
 */
export class UnitIdEntriesResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /UnitIdEntries?unitId&search&limit&offset` — one page; `search` matches partial text. */
  async list(query: ListUnitIdEntriesQuery): Promise<UnitIdEntryPage> {
    const q = validateRequest(listUnitIdEntriesQuerySchema, query, 'GET', '/UnitIdEntries');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/UnitIdEntries',
      query: q,
      response: unitIdEntryPageSchema,
    });
    return data;
  }

  /**
   * Every entry of a unit, page by page (`GET /UnitIdEntries` with growing `offset`). Stops at `total`
   * when the server reports it, otherwise at the first short or empty page. Entries created or deleted
   * while iterating can shift pages: use it on a quiet unit, or reconcile by `idNumber` afterwards.
   */
  async *iterate(options: IterateUnitIdEntriesOptions): AsyncGenerator<UnitIdEntry, void, undefined> {
    const opts = validateRequest(iterateUnitIdEntriesOptionsSchema, options, 'GET', '/UnitIdEntries');
    const pageSize = opts.pageSize ?? DEFAULT_ENTRY_PAGE_SIZE;
    let offset = 0;
    for (;;) {
      const page = await this.list({ unitId: opts.unitId, search: opts.search, limit: pageSize, offset });
      yield* page.items;
      offset += page.items.length;
      if (page.items.length === 0) return;
      if (typeof page.total === 'number') {
        if (offset >= page.total) return;
      } else if (page.items.length < (page.limit ?? pageSize)) {
        return;
      }
    }
  }

  /** All entries of a unit in one array (see {@link iterate}). */
  async listAll(options: IterateUnitIdEntriesOptions): Promise<UnitIdEntry[]> {
    const entries: UnitIdEntry[] = [];
    for await (const entry of this.iterate(options)) entries.push(entry);
    return entries;
  }

  /**
   * `POST /UnitIdEntries` — create one entry. A duplicate `idNumber` on the unit → `FlexyKeyConflictError`.
   * Not idempotent: after a reset, timeout or 5xx it is not replayed — re-read with `list` and reconcile.
   */
  async create(input: CreateUnitIdEntryInput): Promise<UnitIdEntry> {
    const body = validateRequest(createUnitIdEntryRequestSchema, input, 'POST', '/UnitIdEntries');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/UnitIdEntries',
      body,
      response: unitIdEntrySchema,
    });
    return data;
  }

  /**
   * `PUT /UnitIdEntries/{id}` — update one entry with the full row (`unitId` must match the row).
   * Changing idNumber, action, codeTag, codeTagCalendar or the validity marks it changed for sync.
   */
  async update(id: number, input: UpdateUnitIdEntryInput): Promise<UnitIdEntry> {
    const path = '/UnitIdEntries/{id}';
    const params = validateRequest(z.object({ id: entryIdSchema }), { id }, 'PUT', path);
    const body = validateRequest(updateUnitIdEntryRequestSchema, input, 'PUT', path);
    const { data } = await this.transport.request({
      method: 'PUT',
      path: '/UnitIdEntries/{id}',
      params,
      body,
      response: unitIdEntrySchema,
    });
    return data;
  }

  /**
   * `DELETE /UnitIdEntries/{id}?unitId=` — mark an entry for deletion; the unit forgets it at the next
   * PushChanges. Returns the row (FLEXYKEY: assumed in state `PendingDelete`), or undefined on 204.
   */
  async delete(params: DeleteUnitIdEntryParams): Promise<UnitIdEntry | undefined> {
    const p = validateRequest(deleteUnitIdEntryParamsSchema, params, 'DELETE', '/UnitIdEntries/{id}');
    const { data } = await this.transport.request({
      method: 'DELETE',
      path: '/UnitIdEntries/{id}',
      params: { id: p.id },
      // FLEXYKEY: "unitId is required for all operations"; for DELETE we send it as a query parameter.
      query: { unitId: p.unitId },
      response: unitIdEntrySchema.optional(),
    });
    return data;
  }
}
