// Benchmark peer: the bench model's REST endpoints (docs/rest.md: list, get, create) on
// Express 5 + better-sqlite3, the stack the original TypeScript system generated.
// Uses ../common for the handlers, validation and the store shared with the uws peer.
import express from 'express';
import Database from 'better-sqlite3';
import { openPeer, notFound, methodNotAllowed, parseArgs, HttpError } from '../common/peer.js';
import { errorJson, invalidJson } from '../common/errors.js';

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const peer = openPeer(Database, opts.db);
  const app = express();
  // The contract's headers only: no X-Powered-By, no ETag hashing of every body.
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    res.set(peer.headers());
    next();
  });

  const sendJson = (res, status, json) => res.status(status).type('application/json').send(json);

  app.get('/healthz', (req, res) => sendJson(res, 200, peer.health()));

  app.route(peer.collectionPath)
    .get((req, res) => {
      const q = req.originalUrl.indexOf('?');
      sendJson(res, 200, peer.list(q < 0 ? '' : req.originalUrl.slice(q + 1)));
    })
    .post((req, res, next) => {
      if (!req.is('application/json')) {
        throw new HttpError(415, 'unsupported_media_type', 'the body must be application/json');
      }
      next();
    }, express.json({ limit: peer.limits.maxBody, strict: false }), (req, res) => {
      const { location, json } = peer.create(req.body);
      res.location(location);
      sendJson(res, 201, json);
    })
    .all((req) => { throw methodNotAllowed(req.method, req.path, 'GET, POST'); });

  app.route(`${peer.collectionPath}/:id`)
    .get((req, res) => sendJson(res, 200, peer.get(req.params.id)))
    .all((req) => { throw methodNotAllowed(req.method, req.path, 'GET'); });

  app.use((req) => { throw notFound(req.method, req.path); });

  // body-parser's errors and ours, in the one error shape.
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    let e = err;
    if (err.type === 'entity.parse.failed') e = invalidJson(err);
    else if (err.type === 'entity.too.large') e = new HttpError(413, 'payload_too_large', `the body is over ${peer.limits.maxBody} bytes`);
    else if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') e = new HttpError(415, 'unsupported_media_type', err.message);
    else if (!(err instanceof HttpError)) console.error(err);
    if (e.allow) res.set('Allow', e.allow);
    sendJson(res, e.status || 500, errorJson(e, res.get('X-Request-Id')));
  });

  const server = app.listen(opts.port, opts.host, () => {
    console.log(`express peer listening on http://${opts.host}:${opts.port}`);
  });
  const stop = () => server.close(() => { peer.close(); process.exit(0); });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

try {
  main();
} catch (err) {
  console.error(`express peer: ${err.message}`);
  process.exit(2);
}
