/** Databases: `DatabaseDescriptor` (what is created) and `DatabaseInfo` (what the server reports). */

/** Options of a database to create. Immutable. */
export class DatabaseDescriptor {
  readonly comment?: string;
  /** Free-form user properties, in insertion order. */
  readonly customProperties: Readonly<Record<string, string>>;

  constructor(options: { comment?: string; customProperties?: Readonly<Record<string, string>> } = {}) {
    if (options.comment !== undefined && options.comment !== null) this.comment = options.comment;
    this.customProperties = Object.freeze({ ...(options.customProperties ?? {}) });
  }

  /** The empty descriptor (no comment, no properties). */
  static readonly EMPTY = new DatabaseDescriptor();
}

/** A database as reported by GetDatabaseInfo. Immutable. */
export class DatabaseInfo {
  constructor(
    readonly databaseName: string,
    readonly descriptor: DatabaseDescriptor,
    /** Creation time, epoch ms. */
    readonly createdTime: number,
    /** Last modification time, epoch ms. */
    readonly modifiedTime: number,
  ) {}

  get comment(): string | undefined {
    return this.descriptor.comment;
  }

  get customProperties(): Readonly<Record<string, string>> {
    return this.descriptor.customProperties;
  }
}
