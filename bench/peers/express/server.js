// Benchmark peer: the bench model's REST endpoints (docs/rest.md: list, get, create, and the
// PATCH bench/ws writes) on Express 5 + better-sqlite3, the stack the original TypeScript
// system generated, and the realtime protocol's subset bench/ws uses (docs/protocol.md) on
// the `ws` package, at /ws on the same HTTP server.
// Uses ../common for the handlers, validation, the store and the realtime protocol shared
// with the uws peer.
import express from 'express';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import { openPeer, notFound, methodNotAllowed, parseArgs, HttpError } from '../common/peer.js';
import { errorJson, invalidJson } from '../common/errors.js';
import { message } from '../common/model.js';
import { LIMITS, openHub, openRealtime } from '../common/realtime.js';

const WS_PATH = '/ws';

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const hub = openHub();
  const realtime = openRealtime(Database, message, hub);
  const peer = openPeer(realtime.Database, opts.db);
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
  // a plain request on the WebSocket path, as ssot answers it
  app.all(WS_PATH, () => { throw new HttpError(426, 'bad_request', `${WS_PATH} is the WebSocket endpoint: upgrade to WebSocket`); });

  const isJson = (req, res, next) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'the body must be application/json');
    }
    next();
  };
  const jsonBody = express.json({ limit: peer.limits.maxBody, strict: false });

  app.route(peer.collectionPath)
    .get((req, res) => {
      const q = req.originalUrl.indexOf('?');
      sendJson(res, 200, peer.list(q < 0 ? '' : req.originalUrl.slice(q + 1)));
    })
    .post(isJson, jsonBody, (req, res) => {
      const { location, json } = peer.create(req.body);
      res.location(location);
      sendJson(res, 201, json);
    })
    .all((req) => { throw methodNotAllowed(req.method, req.path, 'GET, POST'); });

  app.route(`${peer.collectionPath}/:id`)
    .get((req, res) => sendJson(res, 200, peer.get(req.params.id)))
    .patch(isJson, jsonBody, (req, res) => sendJson(res, 200, realtime.update(req.params.id, req.body)))
    .all((req) => { throw methodNotAllowed(req.method, req.path, 'GET, PATCH'); });

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

  // The realtime endpoint: each connection's messages get their reply; events reach it
  // through the hub's channels.
  const wss = new WebSocketServer({ server, path: WS_PATH, maxPayload: LIMITS.messageSize, perMessageDeflate: false, clientTracking: true });
  wss.on('connection', (socket) => {
    const session = {
      channels: new Set(),
      subscribe: (channel) => hub.add(channel, socket),
      unsubscribe: (channel) => hub.remove(channel, socket),
    };
    socket.on('message', (data, isBinary) => {
      if (isBinary) { socket.close(1003, 'messages are JSON text'); return; }
      socket.send(realtime.message(data.toString('utf8'), session));
    });
    socket.on('close', () => { for (const channel of session.channels) hub.remove(channel, socket); });
    socket.on('error', () => {}); // a broken connection ends in 'close'
  });

  const stop = () => {
    for (const socket of wss.clients) socket.close(1001, 'the server is stopping');
    wss.close();
    server.close(() => { peer.close(); process.exit(0); });
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

try {
  main();
} catch (err) {
  console.error(`express peer: ${err.message}`);
  process.exit(2);
}
