import { Schema, type Connection, type IndexDefinition, type IndexOptions, type Model, type SchemaDefinition } from 'mongoose';
import { modelOf } from './mongo';

export interface CollectionSpec<T> {
  fields: SchemaDefinition<T>;
  indexes?: Array<[IndexDefinition, IndexOptions?]>;
  /** False keeps attributes the schema does not name. */
  strict?: boolean;
}

/**
 * One collection's schema, indexes and model. Ids are strings the services choose (each schema
 * names `_id`), and documents carry no version key.
 */
export function defineCollection<T>(conn: Connection, model: string, collection: string, spec: CollectionSpec<T>): Model<T> {
  const schema = new Schema(spec.fields as SchemaDefinition, {
    versionKey: false,
    _id: false,
    ...(spec.strict === undefined ? {} : { strict: spec.strict }),
  });
  for (const [fields, options] of spec.indexes ?? []) schema.index(fields, options);
  return modelOf<T>(conn, model, schema as unknown as Schema<T>, collection);
}
