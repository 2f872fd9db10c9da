import { isPlainObject, type Doc } from '../bson-order.js';
import { toView } from '../bson-view.js';
import type { CollectionStore, ValidationOptions } from '../collection-store.js';
import { isTextSpec, normalizeIndexSpec, sameIndexOptions, sameKeyPattern } from '../index-spec.js';
import { badValue, MongoServerError } from '../mongo-error.js';
import { compileFilter, compileRecordFilter } from '../query-matcher.js';
import type { CommandHandler, ServerContext } from '../server-context.js';
import { collectionArg, docArg, docsArg, numberArg } from './command-args.js';

function validationOptions(cmd: Doc): ValidationOptions {
  const v: ValidationOptions = {};
  if (cmd.validator !== undefined) {
    const validator = docArg(cmd, 'validator') ?? {};
    if ('$text' in validator) throw badValue('$text is not allowed in collection validators');
    v.validator = validator;
  }
  if (cmd.validationLevel !== undefined) {
    if (!['off', 'strict', 'moderate'].includes(String(cmd.validationLevel))) throw badValue(`Enumeration value '${String(cmd.validationLevel)}' for field 'validationLevel' is not a valid value.`);
    v.validationLevel = cmd.validationLevel as ValidationOptions['validationLevel'];
  }
  if (cmd.validationAction !== undefined) {
    if (!['error', 'warn'].includes(String(cmd.validationAction))) throw badValue(`Enumeration value '${String(cmd.validationAction)}' for field 'validationAction' is not a valid value.`);
    v.validationAction = cmd.validationAction as ValidationOptions['validationAction'];
  }
  return v;
}

function requireCollection(ctx: ServerContext, db: string, name: string): CollectionStore {
  const coll = ctx.catalog.get(db, name);
  if (!coll) throw new MongoServerError('NamespaceNotFound', `ns does not exist: ${db}.${name}`);
  return coll;
}

const create: CommandHandler = (ctx, { db, cmd }) => {
  const name = collectionArg(cmd, 'create');
  const validation = validationOptions(cmd);
  if (cmd.capped === true) throw new MongoServerError('NotImplemented', 'capped collections are not supported by the embedded server');
  const coll = ctx.catalog.create(db, name, {});
  try {
    coll.setValidation(validation);
  } catch (err) {
    ctx.catalog.drop(db, name);
    throw err;
  }
  return {};
};

const collMod: CommandHandler = (ctx, { db, cmd }) => {
  const coll = requireCollection(ctx, db, collectionArg(cmd, 'collMod'));
  coll.setValidation(validationOptions(cmd));
  return {};
};

const drop: CommandHandler = (ctx, { db, cmd }) => {
  const name = collectionArg(cmd, 'drop');
  const coll = ctx.catalog.get(db, name);
  if (!coll) return { ns: `${db}.${name}` };
  const nIndexesWas = coll.indexSpecs().length;
  ctx.catalog.drop(db, name);
  return { nIndexesWas, ns: coll.ns };
};

const dropDatabase: CommandHandler = (ctx, { db }) => {
  ctx.catalog.dropDatabase(db);
  return { dropped: db };
};

function collectionInfo(coll: CollectionStore): Doc {
  const options: Doc = {};
  const v = coll.validation;
  if (v.validator) options.validator = v.validator;
  if (v.validator || v.validationLevel) options.validationLevel = v.validationLevel ?? 'strict';
  if (v.validator || v.validationAction) options.validationAction = v.validationAction ?? 'error';
  return {
    name: coll.name,
    type: 'collection',
    options,
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

const listCollections: CommandHandler = (ctx, { db, cmd }) => {
  const filter = compileFilter(docArg(cmd, 'filter'));
  let infos = ctx.catalog.collections(db).map(collectionInfo).filter((info) => filter(toView(info) as Doc));
  if (cmd.nameOnly) infos = infos.map((i) => ({ name: i.name, type: i.type }));
  const cursorOpts = docArg(cmd, 'cursor') ?? {};
  return { cursor: ctx.cursors.open(`${db}.$cmd.listCollections`, infos, numberArg(cursorOpts, 'batchSize'), false) };
};

const createIndexes: CommandHandler = (ctx, { db, cmd }) => {
  const name = collectionArg(cmd, 'createIndexes');
  const specs = docsArg(cmd, 'indexes').map(normalizeIndexSpec);
  if (specs.length === 0) throw badValue('Must specify at least one index to create');
  const existed = ctx.catalog.get(db, name);
  const coll = existed ?? ctx.catalog.getOrCreate(db, name);
  const before = coll.indexSpecs().length;
  for (const spec of specs) {
    const current = coll.indexSpecs();
    const byName = current.find((s) => s.name === spec.name);
    if (byName) {
      if (!sameKeyPattern(byName.key, spec.key)) {
        throw new MongoServerError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName)}`);
      }
      if (!sameIndexOptions(byName, spec)) {
        throw new MongoServerError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName)}`);
      }
      continue;
    }
    const byKey = current.find((s) => sameKeyPattern(s.key, spec.key));
    if (byKey || (isTextSpec(spec.key) && coll.textIndex)) {
      throw new MongoServerError('IndexOptionsConflict', `Index already exists with a different name: ${byKey?.name ?? coll.textIndex?.name}`);
    }
    const partial = spec.partialFilterExpression ? compileRecordFilter(spec.partialFilterExpression) : undefined;
    coll.addIndex(spec, partial);
  }
  const after = coll.indexSpecs().length;
  const reply: Doc = { numIndexesBefore: before, numIndexesAfter: after, createdCollectionAutomatically: !existed };
  if (before === after) reply.note = 'all indexes already exist';
  return reply;
};

const listIndexes: CommandHandler = (ctx, { db, cmd }) => {
  const coll = requireCollection(ctx, db, collectionArg(cmd, 'listIndexes'));
  const cursorOpts = docArg(cmd, 'cursor') ?? {};
  const specs = coll.indexSpecs().map((s) => ({ ...s }) as Doc);
  return { cursor: ctx.cursors.open(`${db}.$cmd.listIndexes.${coll.name}`, specs, numberArg(cursorOpts, 'batchSize'), false) };
};

const dropIndexes: CommandHandler = (ctx, { db, cmd }) => {
  const coll = requireCollection(ctx, db, collectionArg(cmd, 'dropIndexes'));
  const nIndexesWas = coll.indexSpecs().length;
  const target = cmd.index;
  let names: string[];
  if (target === '*') names = coll.indexSpecs().map((s) => s.name).filter((n) => n !== '_id_');
  else if (typeof target === 'string') names = [target];
  else if (Array.isArray(target)) names = target.map(String);
  else if (isPlainObject(target)) {
    const found = coll.indexSpecs().find((s) => sameKeyPattern(s.key, target));
    if (!found) throw new MongoServerError('IndexNotFound', `can't find index with key: ${JSON.stringify(target)}`);
    names = [found.name];
  } else throw badValue('dropIndexes requires an index name, key pattern, array of names or "*"');
  for (const n of names) {
    if (n === '_id_') throw new MongoServerError('InvalidOptions', 'cannot drop _id index');
    if (!coll.indexSpecs().some((s) => s.name === n)) throw new MongoServerError('IndexNotFound', `index not found with name [${n}]`);
  }
  for (const n of names) coll.dropIndex(n);
  return { nIndexesWas };
};

/** Collection and index management commands. */
export const DDL_HANDLERS: Record<string, CommandHandler> = {
  create, collMod, drop, dropDatabase, listCollections, createIndexes, listIndexes, dropIndexes,
};
