// Tests of what both peers do before touching the database: body validation and list query
// parsing must be as strict as ssot's (docs/rest.md), or the peers would be measured doing
// less work. Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { message, limits } from './model.js';
import { validateCreate } from './validate.js';
import { parseListQuery } from './query.js';
import { HttpError } from './errors.js';

const fieldsOf = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError, `not an HttpError: ${err}`);
    return { status: err.status, code: err.code, fields: err.fields, message: err.message };
  }
  assert.fail('expected an HttpError');
};

test('a valid body gets its defaults and keeps only writable fields', () => {
  assert.deepEqual(validateCreate(message, { roomId: 3, author: 'ann', text: 'hi' }),
    { roomId: 3, author: 'ann', text: 'hi', kind: 'text' });
});

test('every wrong field is reported at once, each with its problem', () => {
  const e = fieldsOf(() => validateCreate(message, { id: 1, roomId: 1.5, author: 7, kind: 'video', colour: 'red', createdAt: 'x' }));
  assert.equal(e.status, 400);
  assert.equal(e.code, 'validation_failed');
  assert.equal(e.message, '7 fields are invalid');
  assert.deepEqual(e.fields, {
    id: 'is set by the server', createdAt: 'is set by the server', colour: 'is not a field of Message',
    roomId: 'must be an integer', author: 'must be a string', text: 'is required',
    kind: 'must be one of: text, image, system',
  });
});

test('max length counts characters, not UTF-16 units', () => {
  const emoji = '😀'.repeat(80); // 160 UTF-16 units, 80 characters
  assert.equal(validateCreate(message, { roomId: 1, author: emoji, text: 't' }).author, emoji);
  const e = fieldsOf(() => validateCreate(message, { roomId: 1, author: `${emoji}x`, text: 't' }));
  assert.deepEqual(e.fields, { author: 'must be at most 80 characters' });
});

test('a body that is not an object is invalid_json', () => {
  for (const body of [null, [], 'text', 3]) {
    assert.equal(fieldsOf(() => validateCreate(message, body)).code, 'invalid_json');
  }
});

const parse = (qs) => parseListQuery(message, new URLSearchParams(qs), limits);

test('list defaults: everything, ordered by id, take 20', () => {
  assert.deepEqual(parse(''), { where: '1', args: [], order: '"id" ASC', skip: 0, take: 20 });
});

test('where, orderBy, skip and take become SQL with bound values', () => {
  const q = parse(`where=${encodeURIComponent('{"roomId":3,"kind":{"in":["text","image"]},"text":{"contains":"hi"},"author":null}')}` +
    `&orderBy=${encodeURIComponent('[{"createdAt":"desc"}]')}&skip=40&take=5`);
  assert.equal(q.where, '"roomId" = ? AND "kind" IN (?, ?) AND instr("text", ?) > 0 AND "author" IS NULL');
  assert.deepEqual(q.args, [3, 'text', 'image', 'hi']);
  assert.equal(q.order, '"createdAt" DESC, "id" ASC');
  assert.equal(q.skip, 40);
  assert.equal(q.take, 5);
});

test('bad list parameters are 400 bad_request naming the parameter', () => {
  const cases = {
    'take=0': /^take: /,
    'take=101': /^take: /,
    'skip=-1': /^skip: /,
    'foo=1': /unknown parameter 'foo'/,
    'take=5&take=6': /^take: given more than once/,
    [`where=${encodeURIComponent('{"nope":1}')}`]: /unknown field 'nope'/,
    [`where=${encodeURIComponent('{"roomId":"3"}')}`]: /^where\.roomId: must be an integer/,
    [`where=${encodeURIComponent('{"roomId":{"like":3}}')}`]: /unknown operator/,
    [`where=${encodeURIComponent('{"kind":{"gt":"a"}}')}`]: /enum fields have no order/,
    [`where=${encodeURIComponent('{"roomId":{"contains":"1"}}')}`]: /contains applies to string and text/,
    [`where=${encodeURIComponent(`{"roomId":{"in":[${Array(101).fill(1)}]}}`)}`]: /at most 100/,
    'where=%7B': /^where: not valid JSON/,
    [`where=${encodeURIComponent('[1]')}`]: /must be a JSON object/,
    [`orderBy=${encodeURIComponent('{"roomId":"up"}')}`]: /"asc" or "desc"/,
    [`orderBy=${encodeURIComponent('{"x; DROP TABLE messages":"asc"}')}`]: /unknown field/,
  };
  for (const [qs, expected] of Object.entries(cases)) {
    const e = fieldsOf(() => parse(qs));
    assert.equal(e.status, 400, qs);
    assert.equal(e.code, 'bad_request', qs);
    assert.match(e.message, expected, qs);
  }
});
