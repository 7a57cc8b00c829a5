// The one error shape of docs/rest.md ({ error: { code, message, fields? } }) for the peers.
class HttpError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

// errorJson(err) -> the response body of an HttpError (anything else is a 500 `internal`).
function errorJson(err, requestId) {
  if (err instanceof HttpError) {
    const error = { code: err.code, message: err.message };
    if (err.fields) error.fields = err.fields;
    return JSON.stringify({ error });
  }
  return JSON.stringify({ error: { code: 'internal', message: 'internal error', requestId } });
}

// invalidJson(err) -> a 400 invalid_json carrying the parser's own message.
function invalidJson(err) {
  return new HttpError(400, 'invalid_json', `the body is not valid JSON: ${err.message}`);
}

export { HttpError, errorJson, invalidJson };
