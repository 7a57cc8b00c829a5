// Checks a create body against the model the way ssot does (docs/rest.md "Bodies"): types,
// required fields, enum values, max length, unknown and server-filled fields; fills defaults.
import { HttpError } from './errors.js';

// Characters, not UTF-16 units: a string's .length is never below its code point count, so
// only strings that look too long are counted exactly.
function tooLong(s, max) {
  if (s.length <= max) return false;
  let n = 0;
  for (const _ of s) if (++n > max) return true;
  return false;
}

// problem(field, value) -> what is wrong with a present, non-null value, or undefined.
function problem(field, value) {
  switch (field.type) {
    case 'int':
      return Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'float':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string':
    case 'text':
      if (typeof value !== 'string') return 'must be a string';
      if (field.max !== undefined && tooLong(value, field.max)) return `must be at most ${field.max} characters`;
      return undefined;
    case 'enum':
      return field.values.includes(value) ? undefined : `must be one of: ${field.values.join(', ')}`;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? undefined : 'must be an ISO 8601 date-time string';
    default:
      return undefined;
  }
}

// validateCreate(model, body) -> { field: value } for every client-writable field (defaults
// filled), or throws 400 validation_failed with a message per field.
function validateCreate(model, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_json', 'the body must be a JSON object');
  }
  const fields = {};
  let bad = 0;
  for (const key of Object.keys(body)) {
    const field = model.fieldByName.get(key);
    if (!field) { fields[key] = `is not a field of ${model.name}`; bad++; }
    else if (field.serverFilled) { fields[key] = 'is set by the server'; bad++; }
  }
  const values = {};
  for (const field of model.fields) {
    if (field.serverFilled) continue;
    let value = body[field.name];
    if (value === undefined || value === null) {
      if (field.default !== undefined) value = field.default;
      else if (field.optional) value = null;
      else { fields[field.name] = 'is required'; bad++; continue; }
    } else {
      const wrong = problem(field, value);
      if (wrong) { fields[field.name] = wrong; bad++; continue; }
    }
    values[field.name] = field.type === 'bool' && value !== null ? (value ? 1 : 0) : value;
  }
  if (bad) {
    throw new HttpError(400, 'validation_failed', bad === 1 ? '1 field is invalid' : `${bad} fields are invalid`, fields);
  }
  return values;
}

export { validateCreate };
