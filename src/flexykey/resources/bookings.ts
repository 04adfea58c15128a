import {
  type Booking,
  bookingListSchema,
  bookingSchema,
  type CreateBookingInput,
  createBookingRequestSchema,
  type DeleteBookingParams,
  deleteBookingParamsSchema,
  type ListBookingsQuery,
  listBookingsQuerySchema,
} from '../schemas';
import type { Transport } from '../transport';
import { validateRequest } from '../validate';

/** Bookings on a FlexyKey booking object. */
export class BookingsResource {
  constructor(private readonly transport: Transport) {}

  /**
   * `POST /Bookings` — create a booking; the answer carries its unique `bookingId`. Not idempotent:
   * after a reset, timeout or 5xx it is not replayed — list by `externalRef` and reconcile.
   */
  async create(input: CreateBookingInput): Promise<Booking> {
    const body = validateRequest(createBookingRequestSchema, input, 'POST', '/Bookings');
    const { data } = await this.transport.request({
      method: 'POST',
      path: '/Bookings',
      body,
      response: bookingSchema,
    });
    return data;
  }

  /** `GET /Bookings?bookingObjectId&fromIso&toIso` — bookings on one booking object. */
  async list(query: ListBookingsQuery): Promise<Booking[]> {
    const q = validateRequest(listBookingsQuerySchema, query, 'GET', '/Bookings');
    const { data } = await this.transport.request({
      method: 'GET',
      path: '/Bookings',
      query: q,
      response: bookingListSchema,
    });
    return data;
  }

  /** `DELETE /Bookings/{bookingId}` — cancel a booking (204). */
  async delete(params: DeleteBookingParams): Promise<void> {
    const p = validateRequest(deleteBookingParamsSchema, params, 'DELETE', '/Bookings/{bookingId}');
    await this.transport.request({
      method: 'DELETE',
      path: '/Bookings/{bookingId}',
      params: { bookingId: p.bookingId },
    });
  }
}
