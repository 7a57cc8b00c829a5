// Contract check for a benchmarked server: the operations the benchmark measures (create,
// get by id, list) and their errors behave as docs/rest.md says, and every create writes one
// change event (the stream offset moves by one). run.mjs runs it on every server before
// measuring, so no server is timed doing less work than the others.
// Usage: node bench/http/check.mjs http://127.0.0.1:PORT   (prints "N passed, N failed")
import assert from 'node:assert/strict';

// A room no benchmark request touches, so the checks do not change the measured data.
const CHECK_ROOM = 999999;
const FIELDS = ['id', 'roomId', 'author', 'text', 'kind', 'createdAt'];
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function call(base, method, path, body, contentType = 'application/json') {
  const init = { method, headers: {}, signal: AbortSignal.timeout(10000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = contentType;
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    assert.fail(`${method} ${path}: the body is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, json };
}

function assertError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: status ${res.status}, expected ${status} (body ${JSON.stringify(res.json)})`);
  assert.ok(res.json && res.json.error, `${what}: no {error} object in ${JSON.stringify(res.json)}`);
  assert.equal(res.json.error.code, code, `${what}: error code`);
  assert.equal(typeof res.json.error.message, 'string', `${what}: error message`);
}

const message = { roomId: CHECK_ROOM, author: 'check', text: 'contract check' };
const listPath = (take) => `/api/messages?where=${encodeURIComponent(JSON.stringify({ roomId: CHECK_ROOM }))}&take=${take}`;

// Each check gets the base URL and the state earlier checks left (created rows).
const checks = [
  ['create answers 201 with the row, Location and the ssot headers', async (base, state) => {
    const res = await call(base, 'POST', '/api/messages', message);
    assert.equal(res.status, 201, `status ${res.status}: ${JSON.stringify(res.json)}`);
    assert.deepEqual(Object.keys(res.json), FIELDS, 'row fields in declared order');
    assert.ok(Number.isInteger(res.json.id), 'integer id');
    assert.equal(res.json.kind, 'text', 'the default of kind is filled');
    assert.match(res.json.createdAt, ISO_MS, 'createdAt is ISO 8601 with milliseconds');
    assert.equal(res.headers.get('location'), `/api/messages/${res.json.id}`);
    assert.match(res.headers.get('content-type') || '', /^application\/json/);
    assert.ok(res.headers.get('x-ssot-schema'), 'X-SSOT-Schema header');
    assert.ok(res.headers.get('x-request-id'), 'X-Request-Id header');
    state.created = res.json;
  }],
  ['get by id answers 200 with the same row', async (base, state) => {
    const res = await call(base, 'GET', `/api/messages/${state.created.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, state.created);
  }],
  ['list answers {items,total,skip,take,offset,epoch} with where and take', async (base, state) => {
    await call(base, 'POST', '/api/messages', { ...message, text: 'second' });
    const res = await call(base, 'GET', listPath(1));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json).sort(), ['epoch', 'items', 'offset', 'skip', 'take', 'total']);
    assert.equal(res.json.items.length, 1, 'take=1 gives one item');
    assert.deepEqual(res.json.items[0], state.created, 'ordered by id ascending');
    assert.equal(res.json.total, 2, 'total counts every matching row');
    assert.equal(res.json.skip, 0);
    assert.equal(res.json.take, 1);
    assert.ok(Number.isInteger(res.json.offset) && res.json.offset >= 2, `offset ${res.json.offset}`);
    assert.equal(typeof res.json.epoch, 'string');
    state.offset = res.json.offset;
  }],
  ['every create writes one change event (the stream offset moves by one)', async (base, state) => {
    const created = await call(base, 'POST', '/api/messages', { ...message, text: 'third' });
    assert.equal(created.status, 201);
    const res = await call(base, 'GET', listPath(20));
    assert.equal(res.json.offset, state.offset + 1);
    assert.equal(res.json.total, 3);
  }],
  ['an invalid body is 400 validation_failed naming each field', async (base) => {
    const res = await call(base, 'POST', '/api/messages', { roomId: 'x', author: 'a', colour: 'red' });
    assertError(res, 400, 'validation_failed', 'invalid body');
    assert.ok(res.json.error.fields.roomId, 'fields.roomId (wrong type)');
    assert.ok(res.json.error.fields.text, 'fields.text (missing)');
    assert.ok(res.json.error.fields.colour, 'fields.colour (unknown)');
  }],
  ['a body over max length is rejected', async (base) => {
    const res = await call(base, 'POST', '/api/messages', { ...message, author: 'x'.repeat(81) });
    assertError(res, 400, 'validation_failed', 'author too long');
    assert.ok(res.json.error.fields.author);
  }],
  ['malformed JSON is 400 invalid_json', async (base) => {
    assertError(await call(base, 'POST', '/api/messages', '{"roomId": 1,'), 400, 'invalid_json', 'truncated JSON');
  }],
  ['a body that is not JSON is 415', async (base) => {
    assertError(await call(base, 'POST', '/api/messages', 'hello', 'text/plain'), 415, 'unsupported_media_type', 'text/plain body');
  }],
  ['an unknown id is 404 not_found', async (base) => {
    assertError(await call(base, 'GET', '/api/messages/987654321'), 404, 'not_found', 'unknown id');
  }],
  ['bad list parameters are 400 bad_request', async (base) => {
    assertError(await call(base, 'GET', '/api/messages?take=1000'), 400, 'bad_request', 'take=1000');
    assertError(await call(base, 'GET', `/api/messages?where=${encodeURIComponent('{"nope":1}')}`), 400, 'bad_request', 'unknown where field');
    assertError(await call(base, 'GET', '/api/messages?where=%7B'), 400, 'bad_request', 'where not JSON');
  }],
];

// checkServer(base) -> { passed, failed: [{ name, message }] }
export async function checkServer(base) {
  const state = {};
  const result = { passed: 0, failed: [] };
  for (const [name, fn] of checks) {
    try {
      await fn(base, state);
      result.passed++;
    } catch (err) {
      result.failed.push({ name, message: err.message });
      if (!state.created) break; // nothing else can be checked without a created row
    }
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.argv[2];
  if (!base) {
    console.error('usage: node bench/http/check.mjs http://127.0.0.1:PORT');
    process.exit(2);
  }
  const { passed, failed } = await checkServer(base.replace(/\/$/, ''));
  for (const f of failed) console.log(`FAIL ${f.name}: ${f.message}`);
  console.log(`${passed} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}
