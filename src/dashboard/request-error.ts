import { VitessMessagesError } from '../core/errors';

/**
 * A dashboard request refused before it reached the database (bad input,
 * missing token, wrong Host, …): `status` is the HTTP status it is answered
 * with, `field` the parameter or header at fault. Nothing was changed.
 */
export class DashboardRequestError extends VitessMessagesError {
  /** `'DashboardRequestError'`, for logs; test the class with `instanceof`. */
  override readonly name = 'DashboardRequestError';
  constructor(
    /** The HTTP status: 400 bad input, 401 no credentials, 403 refused, 404, 405, 413, 415. */
    readonly status: number,
    message: string,
    /** The parameter, body field or header at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
  }
}
