// Parses list query parameters (docs/rest.md "List parameters": where, orderBy, skip, take)
// into SQL fragments with bound values, checking every field name and value against the model.
import { HttpError } from './errors.js';

const PARAMS = new Set(['where', 'orderBy', 'skip', 'take']);
const COMPARISONS = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };
const ORDERED_TYPES = new Set(['id', 'int', 'float', 'string', 'text', 'datetime']);
const MAX_IN = 100;

function badRequest(message) {
  return new HttpError(400, 'bad_request', message);
}

function quote(name) {
  return `"${name}"`;
}

// literal(param, field, value) -> the bound value for a comparison with the field, or throws.
function literal(param, field, value) {
  switch (field.type) {
    case 'id':
    case 'int':
      if (Number.isSafeInteger(value)) return value;
      throw badRequest(`${param}: must be an integer`);
    case 'float':
      if (typeof value === 'number') return value;
      throw badRequest(`${param}: must be a number`);
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      throw badRequest(`${param}: must be true or false`);
    case 'json':
      throw badRequest(`${param}: json fields cannot be compared`);
    default:
      if (typeof value === 'string') return value;
      throw badRequest(`${param}: must be a string`);
  }
}

function parseJson(name, text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`${name}: not valid JSON (${err.message})`);
  }
}

// condition(model, key, spec, args) -> one SQL condition of a where entry, values pushed to args.
function condition(model, key, spec, args) {
  const field = model.fieldByName.get(key);
  if (!field) throw badRequest(`where: unknown field '${key}' of ${model.name}`);
  const column = quote(field.name);
  if (spec === null) return `${column} IS NULL`;
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    args.push(literal(`where.${key}`, field, spec));
    return `${column} = ?`;
  }
  const parts = [];
  for (const [op, value] of Object.entries(spec)) {
    const param = `where.${key}.${op}`;
    if (op === 'eq' || op === 'ne') {
      if (value === null) { parts.push(`${column} IS ${op === 'eq' ? '' : 'NOT '}NULL`); continue; }
    } else if (op in COMPARISONS) {
      if (!ORDERED_TYPES.has(field.type)) throw badRequest(`${param}: ${field.type} fields have no order`);
    } else if (op === 'in') {
      if (!Array.isArray(value) || value.length > MAX_IN) {
        throw badRequest(`${param}: must be an array of at most ${MAX_IN} values`);
      }
      if (value.length === 0) { parts.push('0'); continue; }
      for (const [i, v] of value.entries()) args.push(literal(`${param}[${i}]`, field, v));
      parts.push(`${column} IN (${value.map(() => '?').join(', ')})`);
      continue;
    } else if (op === 'contains') {
      if (field.type !== 'string' && field.type !== 'text') {
        throw badRequest(`${param}: contains applies to string and text fields only`);
      }
      args.push(literal(param, field, value));
      parts.push(`instr(${column}, ?) > 0`);
      continue;
    } else {
      throw badRequest(`${param}: unknown operator (expected eq, ne, lt, lte, gt, gte, in or contains)`);
    }
    args.push(literal(param, field, value));
    parts.push(`${column} ${COMPARISONS[op]} ?`);
  }
  if (parts.length === 0) throw badRequest(`where.${key}: no operator given`);
  return parts.join(' AND ');
}

function parseWhere(model, text, args) {
  const where = parseJson('where', text);
  if (where === null || typeof where !== 'object' || Array.isArray(where)) {
    throw badRequest('where: must be a JSON object of field conditions');
  }
  const parts = Object.entries(where).map(([key, spec]) => condition(model, key, spec, args));
  return parts.length ? parts.join(' AND ') : '1';
}

function parseOrderBy(model, text) {
  let orderBy = parseJson('orderBy', text);
  if (!Array.isArray(orderBy)) orderBy = [orderBy];
  const terms = [];
  for (const entry of orderBy) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw badRequest('orderBy: expected {"field":"asc"|"desc"} or an array of them');
    }
    for (const [key, dir] of Object.entries(entry)) {
      const field = model.fieldByName.get(key);
      if (!field) throw badRequest(`orderBy: unknown field '${key}' of ${model.name}`);
      if (dir !== 'asc' && dir !== 'desc') throw badRequest(`orderBy.${key}: must be "asc" or "desc"`);
      terms.push(`${quote(field.name)} ${dir.toUpperCase()}`);
    }
  }
  return terms;
}

function parseCount(name, text, min, max) {
  if (!/^\d{1,16}$/.test(text)) throw badRequest(`${name}: must be an integer from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw badRequest(`${name}: must be an integer from ${min} to ${max}`);
  return n;
}

// parseListQuery(model, search, limits) -> { where, args, order, skip, take }: where and order
// are SQL fragments (field names checked, values bound through args). search is a
// URLSearchParams; throws 400 bad_request naming the parameter and the problem.
function parseListQuery(model, search, limits) {
  const args = [];
  let where = '1';
  let order = [];
  let skip = 0;
  let take = limits.defaultTake;
  const seen = new Set();
  for (const [name, value] of search) {
    if (!PARAMS.has(name)) throw badRequest(`unknown parameter '${name}' (expected where, orderBy, skip or take)`);
    if (seen.has(name)) throw badRequest(`${name}: given more than once`);
    seen.add(name);
    if (name === 'where') where = parseWhere(model, value, args);
    else if (name === 'orderBy') order = parseOrderBy(model, value);
    else if (name === 'skip') skip = parseCount('skip', value, 0, Number.MAX_SAFE_INTEGER);
    else take = parseCount('take', value, 1, limits.maxTake);
  }
  order.push(`${quote('id')} ASC`);
  return { where, args, order: order.join(', '), skip, take };
}

export { parseListQuery };
