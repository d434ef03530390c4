/** The metadata model: types, schemas, descriptors, table info, partitions, JSON forms. */
export * from "./data-types.js";
export * from "./arrow-types.js";
export * from "./table-path.js";
export * from "./cluster.js";
export * from "./schema.js";
export * from "./table-options.js";
export * from "./table-descriptor.js";
export * from "./table-info.js";
export * from "./database.js";
export * from "./json.js";
export * from "./java-json.js";
export * from "./java-float.js";
export * from "./partition.js";
export * from "./auto-partition.js";
export * from "./validation.js";
