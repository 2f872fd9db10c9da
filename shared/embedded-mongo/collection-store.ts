import { BSON, ObjectId } from 'bson';
import { isPlainObject, type Doc } from './bson-order.js';
import { formatValue, toView } from './bson-view.js';
import { BtreeIndex } from './btree-index.js';
import { GeoIndex } from './geo-index.js';
import type { LngLat } from './geo-geometry.js';
import { isGeoSpec, isTextSpec, type IndexSpec } from './index-spec.js';
import { checkJsonSchema } from './json-schema-validator.js';
import { badValue, MongoServerError } from './mongo-error.js';
import { compileFilter, viewOf, type Matcher, type RecordMatcher, type StoredRecord } from './query-matcher.js';
import { sameShardKeyValues, shardKeyProblem, shardKeyValues, type ShardKey } from './shard-keys.js';
import { TextIndex } from './text-index.js';

/** MongoDB's maximum BSON document size. */
export const MAX_BSON_SIZE = 16 * 1024 * 1024;
/** What adding a generated `_id: ObjectId` adds to a document's BSON size (type, "_id\0", 12 bytes). */
const GENERATED_ID_BYTES = 1 + 4 + 12;

/** Collection-level validation settings (create/collMod). */
export interface ValidationOptions {
  validator?: Doc;
  validationLevel?: 'off' | 'strict' | 'moderate';
  validationAction?: 'error' | 'warn';
}

/**
 * One collection: its documents by record id, its indexes, and its validator.
 * Every method runs synchronously, so each write is atomic with respect to other
 * connections; a write either passes every check and updates every index, or changes nothing.
 */
export class CollectionStore {
  readonly records = new Map<number, StoredRecord>();
  readonly indexes = new Map<string, BtreeIndex>();
  readonly geoIndexes = new Map<string, GeoIndex>();
  textIndex?: TextIndex;
  validation: ValidationOptions = {};
  /** Set by `shardCollection`; `shardKeyStrict` makes writes keep it (see shard-keys.ts). */
  shardKey?: ShardKey;
  shardKeyStrict = false;
  private validatorMatch?: { schema?: Doc; rest?: Matcher };
  private nextRecordId = 1;

  constructor(readonly db: string, readonly name: string, readonly createOptions: Doc = {}) {
    this.indexes.set('_id_', new BtreeIndex({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get idIndex(): BtreeIndex {
    return this.indexes.get('_id_') as BtreeIndex;
  }

  /** Sets the validator, compiling it once; a bad validator is refused before it is stored. */
  setValidation(v: ValidationOptions): void {
    const validator = v.validator ?? this.validation.validator;
    if (validator && Object.keys(validator).length > 0) {
      const { $jsonSchema, ...rest } = validator;
      if ($jsonSchema !== undefined && !isPlainObject($jsonSchema)) throw badValue('$jsonSchema must be an object');
      this.validatorMatch = { schema: $jsonSchema as Doc | undefined, rest: Object.keys(rest).length > 0 ? compileFilter(rest) : undefined };
    } else {
      this.validatorMatch = undefined;
    }
    this.validation = { ...this.validation, ...v };
  }

  /** The record with this `_id`, found through the `_id` index. */
  findById(id: unknown): StoredRecord | undefined {
    const exact = this.idIndex.exactLookup(id);
    if (exact !== undefined) return exact === null ? undefined : this.records.get(exact);
    for (const rid of this.idIndex.scan([{ lo: [id, -Infinity], hi: [id, Infinity] }])) return this.records.get(rid);
    return undefined;
  }

  /**
   * Inserts a document (adding `_id` first when absent) and returns its record.
   * `sizeBound`: a known upper bound on the input's BSON size (the wire message's);
   * when even that plus a generated `_id` fits, the size is not recomputed.
   */
  insert(input: Doc, bypassValidation = false, sizeBound?: number): StoredRecord {
    // MongoDB stores _id as the first field, whatever order the client sent.
    let doc = input;
    if (Object.keys(input)[0] !== '_id' || input._id === undefined) {
      const { _id, ...rest } = input;
      doc = { _id: _id === undefined ? new ObjectId() : _id, ...rest };
    }
    checkId(doc._id);
    if (sizeBound === undefined || sizeBound + GENERATED_ID_BYTES > MAX_BSON_SIZE) checkSize(doc, 'insert');
    this.checkShardKey(doc, undefined);
    if (!bypassValidation) this.validate(doc, undefined);
    const record: StoredRecord = { id: this.nextRecordId++, doc };
    this.applyIndexes(record, undefined);
    this.records.set(record.id, record);
    return record;
  }

  /** Replaces a record's document with a new version; unchanged index keys stay as they are. */
  replace(old: StoredRecord, doc: Doc, bypassValidation = false): StoredRecord {
    checkSize(doc, 'update');
    this.checkShardKey(doc, old.doc);
    if (!bypassValidation) this.validate(doc, old);
    const record: StoredRecord = { id: old.id, doc };
    this.applyIndexes(record, old);
    this.records.set(record.id, record);
    return record;
  }

  remove(record: StoredRecord): void {
    for (const index of this.indexes.values()) index.setKeys(record.id, [], false);
    for (const geo of this.geoIndexes.values()) geo.set(record.id, []);
    this.textIndex?.remove(record.id);
    this.records.delete(record.id);
  }

  /** In strict shard-key mode a document must hold its shard key, and an update may not change it. */
  private checkShardKey(doc: Doc, old: Doc | undefined): void {
    const key = this.shardKey;
    if (!key || !this.shardKeyStrict) return;
    if (old && !sameShardKeyValues(key, old, doc)) {
      throw new MongoServerError('ImmutableField', `After applying the update, the shard key ${formatValue(key.key)} of the document {_id: ${formatValue(doc._id)}} would change from ${shardKeyValues(key, old)} to ${shardKeyValues(key, doc)}: the embedded server's strict shard-key mode refuses changing a shard key value`);
    }
    const problem = shardKeyProblem(key, doc);
    if (problem) throw new MongoServerError('ShardKeyNotFound', `${problem} (collection ${this.ns} is sharded by ${formatValue(key.key)}; strict shard-key mode)`);
  }

  /** Computes every index's keys, checks unique constraints, then (only then) writes them. */
  private applyIndexes(record: StoredRecord, old: StoredRecord | undefined): void {
    const changes: [BtreeIndex, unknown[][], boolean][] = [];
    for (const index of this.indexes.values()) {
      const { keys, multikey } = index.keysFor(record);
      if (old && index.sameKeys(record.id, keys)) continue;
      const clash = index.conflict(keys, record.id);
      if (clash) throw this.duplicateKeyError(index, clash.key);
      changes.push([index, keys, multikey]);
    }
    const geoChanges: [GeoIndex, LngLat[]][] = [];
    for (const geo of this.geoIndexes.values()) {
      const points = geo.pointsOf(record.doc);
      if (!old || !geo.samePoints(record.id, points)) geoChanges.push([geo, points]);
    }
    for (const [index, keys, multikey] of changes) index.setKeys(record.id, keys, multikey);
    for (const [geo, points] of geoChanges) geo.set(record.id, points);
    this.textIndex?.set(record.id, record.doc);
  }

  /** MongoDB's E11000 error with the keyPattern/keyValue fields drivers expose. */
  duplicateKeyError(index: BtreeIndex, key: unknown[]): MongoServerError {
    const keyValue: Doc = {};
    index.fields.forEach((f, i) => (keyValue[f] = key[i]));
    return new MongoServerError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.ns} index: ${index.name} dup key: ${formatValue(keyValue)}`,
      { keyPattern: index.spec.key, keyValue },
    );
  }

  private validate(doc: Doc, old: StoredRecord | undefined): void {
    const v = this.validatorMatch;
    if (!v || this.validation.validationLevel === 'off') return;
    const passes = (d: Doc, view: () => Doc): { ok: boolean; rules: Doc[] } => {
      const rules = v.schema ? checkJsonSchema(v.schema, d) : [];
      // Only a validator with query operators besides $jsonSchema needs the document's mingo view.
      return { ok: rules.length === 0 && (!v.rest || v.rest(view())), rules };
    };
    // "moderate" leaves documents that were already invalid free to stay invalid.
    if (old && this.validation.validationLevel === 'moderate' && !passes(old.doc, () => viewOf(old)).ok) return;
    const result = passes(doc, () => toView(doc) as Doc);
    if (result.ok || this.validation.validationAction === 'warn') return;
    const details: Doc = v.schema
      ? { operatorName: '$jsonSchema', schemaRulesNotSatisfied: result.rules }
      : { operatorName: '$and', clausesNotSatisfied: [] };
    throw new MongoServerError('DocumentValidationFailure', 'Document failed validation', {
      errInfo: { failingDocumentId: doc._id, details },
    });
  }

  /** Adds an index and builds it from the current documents; fails (and adds nothing) on duplicates. */
  addIndex(spec: IndexSpec, partialMatch: RecordMatcher | undefined): void {
    if (isGeoSpec(spec.key)) {
      const geo = new GeoIndex(spec);
      geo.load([...this.records.values()].map((r) => [r.id, geo.pointsOf(r.doc)] as const));
      this.geoIndexes.set(spec.name, geo);
      return;
    }
    if (isTextSpec(spec.key)) {
      const text = new TextIndex(spec);
      for (const r of this.records.values()) text.set(r.id, r.doc);
      this.textIndex = text;
      return;
    }
    const index = new BtreeIndex(spec, partialMatch);
    for (const r of this.records.values()) {
      const { keys, multikey } = index.keysFor(r);
      const clash = index.conflict(keys, r.id);
      if (clash) throw this.duplicateKeyError(index, clash.key);
      index.setKeys(r.id, keys, multikey);
    }
    this.indexes.set(spec.name, index);
  }

  /** Every index spec, `_id_` first, text index last (as listIndexes shows them). */
  indexSpecs(): IndexSpec[] {
    const specs = [...this.indexes.values(), ...this.geoIndexes.values()].map((i) => i.spec);
    return this.textIndex ? [...specs, this.textIndex.spec] : specs;
  }

  dropIndex(name: string): boolean {
    if (this.textIndex?.name === name) {
      this.textIndex = undefined;
      return true;
    }
    return this.indexes.delete(name) || this.geoIndexes.delete(name);
  }
}

function checkId(id: unknown): void {
  if (Array.isArray(id)) throw badValue(`can't use an array for _id`);
  if (id instanceof RegExp) throw badValue(`can't use a regex for _id`);
  if (id === undefined) throw badValue(`can't use undefined for _id`);
}

function checkSize(doc: Doc, op: 'insert' | 'update'): void {
  const size = BSON.calculateObjectSize(doc);
  if (size <= MAX_BSON_SIZE) return;
  if (op === 'insert') {
    throw new MongoServerError('BSONObjectTooLarge', `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_SIZE}`);
  }
  throw new MongoServerError('BSONObjectTooLarge', `Resulting document after update is larger than ${MAX_BSON_SIZE}`);
}
