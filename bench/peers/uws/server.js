// Benchmark peer: the bench model's REST endpoints (docs/rest.md: list, get, create, and the
// PATCH bench/ws writes) on uWebSockets.js + better-sqlite3, the fastest Node stack a user
// could pick, and the realtime protocol's subset bench/ws uses (docs/protocol.md) on
// uWebSockets.js's own WebSockets at /ws, one uWS topic per channel (its native publish).
// Uses ../common for the handlers, validation, the store and the realtime protocol shared
// with the express peer.
import uWS from 'uWebSockets.js';
import Database from 'better-sqlite3';
import { openPeer, notFound, methodNotAllowed, parseArgs, HttpError } from '../common/peer.js';
import { errorJson, invalidJson } from '../common/errors.js';
import { message } from '../common/model.js';
import { LIMITS, openRealtime } from '../common/realtime.js';

const WS_PATH = '/ws';

const STATUS = {
  200: '200 OK', 201: '201 Created', 400: '400 Bad Request', 404: '404 Not Found',
  405: '405 Method Not Allowed', 413: '413 Payload Too Large', 415: '415 Unsupported Media Type',
  426: '426 Upgrade Required', 500: '500 Internal Server Error',
};

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const app = uWS.App();
  // uWS topics are the channels: publish frames the text once per subscriber natively
  const realtime = openRealtime(Database, message, {
    count: (channel) => app.numSubscribers(channel),
    send: (channel, text) => app.publish(channel, text, false),
  });
  const peer = openPeer(realtime.Database, opts.db);

  // send(res, status, json, extra?, headers?): one corked write of status, headers and body.
  function send(res, status, json, extra, headers = peer.headers()) {
    res.cork(() => {
      res.writeStatus(STATUS[status]);
      for (const name in headers) res.writeHeader(name, headers[name]);
      if (extra) for (const name in extra) res.writeHeader(name, extra[name]);
      res.writeHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(json);
    });
  }

  function sendError(res, err) {
    if (!(err instanceof HttpError)) console.error(err);
    const headers = peer.headers();
    const extra = err.allow ? { Allow: err.allow } : undefined;
    send(res, err.status || 500, errorJson(err, headers['X-Request-Id']), extra, headers);
  }

  // handle(res, fn): runs a synchronous handler, mapping a thrown HttpError to its response.
  function handle(res, fn) {
    try {
      fn();
    } catch (err) {
      sendError(res, err);
    }
  }

  // readBody(res, onBody): collects the request body (at most maxBody bytes) and calls
  // onBody(text) once it is complete; answers 413 itself when the body is too large.
  function readBody(res, onBody) {
    let chunks = [];
    let size = 0;
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    res.onData((chunk, isLast) => {
      if (aborted || size < 0) return;
      size += chunk.byteLength;
      if (size > peer.limits.maxBody) {
        size = -1;
        chunks = [];
        sendError(res, new HttpError(413, 'payload_too_large', `the body is over ${peer.limits.maxBody} bytes`));
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it unless it is the whole body.
      if (isLast && chunks.length === 0) { onBody(Buffer.from(chunk).toString('utf8')); return; }
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) onBody(Buffer.concat(chunks).toString('utf8'));
    });
  }

  const item = `${peer.collectionPath}/:id`;

  app.get('/healthz', (res) => send(res, 200, peer.health()));

  app.get(peer.collectionPath, (res, req) => handle(res, () => {
    send(res, 200, peer.list(req.getQuery() || ''));
  }));

  // withJsonBody(res, req, onBody): the checks of a body (type, size) and its parsed JSON.
  function withJsonBody(res, req, onBody) {
    const type = req.getHeader('content-type');
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      sendError(res, new HttpError(415, 'unsupported_media_type', 'the body must be application/json'));
      return;
    }
    const length = Number(req.getHeader('content-length'));
    if (length > peer.limits.maxBody) {
      sendError(res, new HttpError(413, 'payload_too_large', `the body is over ${peer.limits.maxBody} bytes`));
      return;
    }
    readBody(res, (text) => handle(res, () => {
      let body;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw invalidJson(err);
      }
      onBody(body);
    }));
  }

  app.post(peer.collectionPath, (res, req) => withJsonBody(res, req, (body) => {
    const { location, json } = peer.create(body);
    send(res, 201, json, { Location: location });
  }));

  app.patch(item, (res, req) => {
    const id = req.getParameter(0);
    withJsonBody(res, req, (body) => send(res, 200, realtime.update(id, body)));
  });

  // The realtime endpoint. A plain request on it is answered 426, as ssot does.
  app.ws(WS_PATH, {
    compression: uWS.DISABLED,
    maxPayloadLength: LIMITS.messageSize,
    maxBackpressure: LIMITS.sendQueue,
    closeOnBackpressureLimit: true,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      res.upgrade({ channels: new Set() }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.session = {
        channels: data.channels,
        subscribe: (channel) => ws.subscribe(channel),
        unsubscribe: (channel) => ws.unsubscribe(channel),
      };
    },
    message: (ws, bytes, isBinary) => {
      if (isBinary) { ws.end(1003, 'messages are JSON text'); return; }
      ws.send(realtime.message(Buffer.from(bytes).toString('utf8'), ws.getUserData().session), false);
    },
  });
  app.get(WS_PATH, (res) => sendError(res, new HttpError(426, 'bad_request', `${WS_PATH} is the WebSocket endpoint: upgrade to WebSocket`)));

  app.get(item, (res, req) => handle(res, () => send(res, 200, peer.get(req.getParameter(0)))));

  app.any(peer.collectionPath, (res, req) => {
    sendError(res, methodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), 'GET, POST'));
  });
  app.any(item, (res, req) => {
    sendError(res, methodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), 'GET, PATCH'));
  });
  app.any('/*', (res, req) => sendError(res, notFound(req.getMethod().toUpperCase(), req.getUrl())));

  app.listen(opts.host, opts.port, (listenSocket) => {
    if (!listenSocket) {
      console.error(`uws peer: cannot listen on ${opts.host}:${opts.port}`);
      process.exit(1);
    }
    console.log(`uws peer listening on http://${opts.host}:${opts.port}`);
    const stop = () => { uWS.us_listen_socket_close(listenSocket); peer.close(); process.exit(0); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

try {
  main();
} catch (err) {
  console.error(`uws peer: ${err.message}`);
  process.exit(2);
}
