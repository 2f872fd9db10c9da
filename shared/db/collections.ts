import type { CollectionSpec } from "./mongo-collections.js";

/**
 * Every MongoDB collection of the product. Each domain declares its specs
 * beside its repository and adds them here; `npm run migrate` applies them all.
 */
export const allCollections: readonly CollectionSpec[] = [];
