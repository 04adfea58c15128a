import { type ListLogsQuery, type LogPage, listLogsQuerySchema, logPageSchema } from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** FlexyKey's own unit logs (not Evva logs). */
export class LogsResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /Logs?unitId&fromIso&toIso&limit&offset` — one page of log rows. */
  async list(query: ListLogsQuery): Promise<LogPage> {
    const q = validateRequest(listLogsQuerySchema, query, 'GET', '/Logs');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Logs',
      query: q,
      response: logPageSchema,
    });
    return data;
  }
}
