/** An error with the HTTP status the server answers with; the body is `{"error": message}`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** Extra response headers, e.g. `retry-after` on 503. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** 400 with `message` (a validation failure naming the field, expected and actual value). */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}
