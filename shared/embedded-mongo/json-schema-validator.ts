import { bsonTag, compareBson, isNumeric, isPlainObject, toNumber, type Doc } from './bson-order.js';

/** The `$type`/`bsonType` name of a value, as MongoDB reports it. */
export function bsonTypeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 'int' : 'double';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  if (isPlainObject(v)) return 'object';
  return BSON_TYPE_NAMES[bsonTag(v) ?? ''] ?? 'object';
}

const BSON_TYPE_NAMES: Record<string, string> = {
  Int32: 'int', Double: 'double', Long: 'long', Decimal128: 'decimal', ObjectId: 'objectId', Binary: 'binData',
  Timestamp: 'timestamp', BSONRegExp: 'regex', MinKey: 'minKey', MaxKey: 'maxKey', Code: 'javascript', BSONSymbol: 'symbol',
};

const JSON_TYPES: Record<string, (t: string) => boolean> = {
  object: (t) => t === 'object',
  array: (t) => t === 'array',
  number: (t) => t === 'int' || t === 'long' || t === 'double' || t === 'decimal',
  boolean: (t) => t === 'bool',
  string: (t) => t === 'string',
  null: (t) => t === 'null',
};

/** One unsatisfied rule, shaped like the entries of MongoDB's `schemaRulesNotSatisfied`. */
export type SchemaViolation = Record<string, unknown>;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function typeMatches(name: string, wanted: unknown, json: boolean): boolean {
  if (!json && typeof wanted === 'string') return wanted === name || (wanted === 'number' && (JSON_TYPES.number?.(name) ?? false));
  return asList(wanted).some((w) => {
    if (json) return JSON_TYPES[String(w)]?.(name) ?? false;
    if (w === 'number') return JSON_TYPES.number?.(name) ?? false;
    return w === name;
  });
}

/** Whether a string's length in code points (as `minLength`/`maxLength` count) is within bounds, without splitting it. */
function lengthWithin(value: string, min: number | undefined, max: number | undefined): { min: boolean; max: boolean } {
  // A string of n UTF-16 units holds between n/2 and n code points.
  const units = value.length;
  if ((min === undefined || Math.ceil(units / 2) >= min) && (max === undefined || units <= max)) return { min: true, max: true };
  let points = 0;
  for (let i = 0; i < units; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    points++;
  }
  return { min: min === undefined || points >= min, max: max === undefined || points <= max };
}

/**
 * Checks a value against a `$jsonSchema` (MongoDB's draft-4 subset with `bsonType`).
 * Returns the rules it breaks; an empty list means the value is valid.
 */
export function checkJsonSchema(schema: Doc, value: unknown): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  const name = bsonTypeName(value);
  const fail = violations(schema, out);
  if (schema.bsonType !== undefined && !typeMatches(name, schema.bsonType, false)) {
    fail('bsonType', { reason: 'type did not match', consideredValue: value, consideredType: name });
    return out;
  }
  if (schema.type !== undefined && !typeMatches(name, schema.type, true)) {
    fail('type', { reason: 'type did not match', consideredValue: value, consideredType: name });
    return out;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => compareBson(e, value) === 0)) {
    fail('enum', { reason: 'value was not found in enum', consideredValue: value });
  }
  if (typeof value === 'string') {
    const min = isNumeric(schema.minLength) ? toNumber(schema.minLength) : undefined;
    const max = isNumeric(schema.maxLength) ? toNumber(schema.maxLength) : undefined;
    if (min !== undefined || max !== undefined) {
      const within = lengthWithin(value, min, max);
      if (!within.min) fail('minLength', { reason: 'specified string length was not satisfied', consideredValue: value });
      if (!within.max) fail('maxLength', { reason: 'specified string length was not satisfied', consideredValue: value });
    }
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      fail('pattern', { reason: 'regular expression did not match', consideredValue: value });
    }
  }
  if (isNumeric(value)) {
    const n = toNumber(value);
    if (isNumeric(schema.minimum)) {
      const m = toNumber(schema.minimum);
      if (schema.exclusiveMinimum === true ? n <= m : n < m) fail('minimum', { reason: 'comparison failed', consideredValue: value });
    }
    if (isNumeric(schema.maximum)) {
      const m = toNumber(schema.maximum);
      if (schema.exclusiveMaximum === true ? n >= m : n > m) fail('maximum', { reason: 'comparison failed', consideredValue: value });
    }
  }
  if (Array.isArray(value)) checkArray(schema, value, fail);
  if (isPlainObject(value)) checkObject(schema, value, fail);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const subs = schema[key];
    if (!Array.isArray(subs)) continue;
    const passing = subs.filter((s) => isPlainObject(s) && checkJsonSchema(s, value).length === 0).length;
    const ok = key === 'allOf' ? passing === subs.length : key === 'anyOf' ? passing > 0 : passing === 1;
    if (!ok) fail(key, { reason: `${key} did not match`, consideredValue: value });
  }
  if (isPlainObject(schema.not) && checkJsonSchema(schema.not, value).length === 0) {
    fail('not', { reason: 'child schema matched', consideredValue: value });
  }
  return out;
}

type Fail = (operatorName: string, extra?: Record<string, unknown>) => void;

/** Records broken rules of `schema` into `out`. */
function violations(schema: Doc, out: SchemaViolation[]): Fail {
  return (operatorName, extra = {}) => {
    out.push({ operatorName, specifiedAs: { [operatorName]: schema[operatorName] }, ...extra });
  };
}

function checkArray(schema: Doc, value: unknown[], fail: Fail): void {
  if (isNumeric(schema.minItems) && value.length < toNumber(schema.minItems)) fail('minItems', { reason: 'array did not match specified length', consideredValue: value });
  if (isNumeric(schema.maxItems) && value.length > toNumber(schema.maxItems)) fail('maxItems', { reason: 'array did not match specified length', consideredValue: value });
  if (schema.uniqueItems === true && value.some((v, i) => value.findIndex((w) => compareBson(v, w) === 0) !== i)) {
    fail('uniqueItems', { reason: 'found a duplicate item', consideredValue: value });
  }
  if (isPlainObject(schema.items)) {
    const details: SchemaViolation[] = [];
    for (let i = 0; i < value.length; i++) {
      for (const d of checkJsonSchema(schema.items, value[i])) details.push({ ...d, itemIndex: i });
    }
    if (details.length) fail('items', { reason: 'At least one item did not match the sub-schema', details });
  } else if (Array.isArray(schema.items)) {
    const tuple = schema.items;
    const details = tuple.flatMap((s, i) => (isPlainObject(s) && i < value.length ? checkJsonSchema(s, value[i]) : []));
    if (details.length) fail('items', { reason: 'At least one item did not match the sub-schema', details });
    if (schema.additionalItems === false && value.length > tuple.length) fail('additionalItems', { reason: 'found additional items' });
  }
}

function checkObject(schema: Doc, value: Doc, fail: Fail): void {
  if (Array.isArray(schema.required)) {
    const missing = schema.required.filter((k) => value[String(k)] === undefined);
    if (missing.length) fail('required', { missingProperties: missing });
  }
  const props = isPlainObject(schema.properties) ? schema.properties : {};
  const notSatisfied: SchemaViolation[] = [];
  for (const [prop, sub] of Object.entries(props)) {
    if (!(prop in value) || !isPlainObject(sub)) continue;
    const details = checkJsonSchema(sub, value[prop]);
    if (details.length) notSatisfied.push({ propertyName: prop, details });
  }
  if (notSatisfied.length) fail('properties', { propertiesNotSatisfied: notSatisfied });
  if (schema.additionalProperties === undefined) {
    checkPropertyCount(schema, value, fail);
    return;
  }
  const patterns = isPlainObject(schema.patternProperties) ? Object.entries(schema.patternProperties) : [];
  const extra = Object.keys(value).filter((k) => !(k in props) && !patterns.some(([p]) => new RegExp(p, 'u').test(k)));
  if (schema.additionalProperties === false && extra.length) {
    fail('additionalProperties', { reason: 'found additional properties', additionalProperties: extra });
  } else if (isPlainObject(schema.additionalProperties)) {
    const sub = schema.additionalProperties;
    const bad = extra.filter((k) => checkJsonSchema(sub, value[k]).length > 0);
    if (bad.length) fail('additionalProperties', { reason: 'at least one additional property did not match the subschema', additionalProperties: bad });
  }
  checkPropertyCount(schema, value, fail);
}

function checkPropertyCount(schema: Doc, value: Doc, fail: Fail): void {
  if (!isNumeric(schema.minProperties) && !isNumeric(schema.maxProperties)) return;
  const count = Object.keys(value).length;
  if (isNumeric(schema.minProperties) && count < toNumber(schema.minProperties)) fail('minProperties', { reason: 'specified number of properties was not satisfied' });
  if (isNumeric(schema.maxProperties) && count > toNumber(schema.maxProperties)) fail('maxProperties', { reason: 'specified number of properties was not satisfied' });
}
