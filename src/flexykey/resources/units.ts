import { getUnitParamsSchema, type Unit, unitListSchema, unitSchema } from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Units the user may see, with their IO model. Call to discover and cache, not before every command. */
export class UnitsResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /Units` — every unit the user may see. */
  async list(): Promise<Unit[]> {
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Units',
      response: unitListSchema,
    });
    return data;
  }

  /** `GET /Units/{id}` — one unit, same structure as in the list. */
  async get(unitId: number): Promise<Unit> {
    const params = validateRequest(getUnitParamsSchema, { unitId }, 'GET', '/Units/{id}');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Units/{id}',
      params: { id: params.unitId },
      response: unitSchema,
    });
    return data;
  }
}
