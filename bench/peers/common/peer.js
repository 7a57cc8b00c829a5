// What both peers serve, independent of their HTTP library: the create / get / list handlers
// of docs/rest.md for the bench model, and the headers ssot sends on every response.
// Uses model.js, validate.js, query.js, store.js; each peer adapts it to its framework.
import crypto from 'node:crypto';
import { message, limits } from './model.js';
import { HttpError } from './errors.js';
import { validateCreate } from './validate.js';
import { parseListQuery } from './query.js';
import { openStore } from './store.js';

// openPeer(Database, file) -> the handlers over a fresh or existing database file.
// Handlers return JSON text and throw HttpError for the error shape.
function openPeer(Database, file) {
  const model = message;
  const store = openStore(Database, file, model);
  // Like ir.hash: 16 hex digits identifying the schema the server runs.
  const schema = crypto.createHash('sha256').update(model.ddl).digest('hex').slice(0, 16);
  const requestPrefix = crypto.randomBytes(4).toString('hex');
  let requests = 0;

  return {
    model,
    limits,
    collectionPath: `/api/${model.path}`,

    // headers() -> the headers ssot sends on every response (schema hash, request id).
    headers: () => ({ 'X-SSOT-Schema': schema, 'X-Request-Id': `${requestPrefix}-${(++requests).toString(36)}` }),

    // create(body) -> { location, json } for a 201; body is the parsed JSON.
    create(body) {
      const { id, json } = store.create(validateCreate(model, body));
      return { location: `/api/${model.path}/${id}`, json };
    },

    get(idText) {
      const json = /^[1-9][0-9]{0,15}$/.test(idText) ? store.get(Number(idText)) : null;
      if (json === null) throw new HttpError(404, 'not_found', `no ${model.name} with id '${idText}'`);
      return json;
    },

    // list(search) -> the page JSON; search is the query string without '?'.
    list: (search) => store.list(parseListQuery(model, new URLSearchParams(search), limits)),

    health: () => '{"status":"ok"}',
    close: () => store.close(),
  };
}

// notFound(method, path) and methodNotAllowed(method, path, allow): the routing errors.
function notFound(method, path) {
  return new HttpError(404, 'not_found', `no route for ${method} ${path}`);
}

function methodNotAllowed(method, path, allow) {
  const err = new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path} (allowed: ${allow})`);
  err.allow = allow;
  return err;
}

// Command line of both peers: --port N --db FILE [--host H].
function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 0, db: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--port') opts.port = Number(value);
    else if (flag === '--db') opts.db = value;
    else if (flag === '--host') opts.host = value;
    else throw new Error(`unknown option ${flag} (expected --port N --db FILE [--host H])`);
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) throw new Error('--port: need a port number');
  if (!opts.db) throw new Error('--db: need a database file');
  return opts;
}

export { openPeer, notFound, methodNotAllowed, parseArgs, HttpError };
